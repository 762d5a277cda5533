import type { Config } from "../config";
import type { Database } from "../db/client";
import type { Env } from "../env";
import type { Logger } from "./log";

export type Tier = "Free" | "Pro" | "Premium";

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
  doCalls: number;
  dbQueries: number;
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
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
