import type { GovernanceRecord } from "../audit/records";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Env } from "../env";
import type { GovernanceState } from "../rpc/tenant-gate";
import type { Tier } from "../tiers";
import type { Logger } from "./log";

/** Who a request is, derived from its credential only (caller-supplied identity headers are ignored). */
export interface Identity {
  tenantId: string;
  clientId: string;
  /** The row-level-security boundary; equal to the tenant id for Community-SaaS tenants. */
  orgId: string;
  tier: Tier;
}

/** Work a request caused, for the hot-path proof (tests, bench). */
export interface RequestCost {
  /** Durable Object round trips the response waited for. */
  doCalls: number;
  dbQueries: number;
  /** Durable Object calls made after the response (records handed to the tenant gate). */
  deferredDoCalls: number;
}

export interface AppVariables {
  cost: RequestCost;
  requestId: string;
  config: Config;
  log: Logger;
  /** Set by requireDatabase: the request's app-role connection. */
  db: Database;
  /** Set by requireTenant. */
  identity: Identity;
  /** Set by requireTenant: requests counted today, this one included, and the tier's daily quota. */
  quota: { used: number; limit: number };
  /** Set by requireTenant({ governance: true }): the tenant's own policies and live overrides. */
  governance: GovernanceState;
  /** Audit and decision rows of a governed REST request (requireTenant sends them after the response). */
  records: GovernanceRecord[];
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
