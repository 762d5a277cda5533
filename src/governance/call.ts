/**
 * A governed call: who asked (identity from the credential), when, through which client, and the
 * records it leaves behind. MCP tools and REST routes build one and hand it to the checks, so both
 * wire formats decide and audit the same way.
 */
import type { Context } from "hono";
import type { GovernanceRecord } from "../audit/records";
import type { AppEnv, Identity } from "../http/context";
import { type Policy, systemPolicies } from "../policy/posture";

export interface GovernedCall {
  identity: Identity;
  requestId: string;
  nowMs: number;
  /** `X-Axonflow-Client`, e.g. `cursor-plugin/1.7.0`. */
  client?: string;
  /** `X-User-Email`, when the plugin sends one. */
  userEmail?: string;
  policies: readonly Policy[];
  /** Audit and decision rows, sent to the tenant's gate after the response. */
  records: GovernanceRecord[];
}

const header = (c: Context<AppEnv>, name: string, max: number) => c.req.header(name)?.trim().slice(0, max) || undefined;

export function governedCall(c: Context<AppEnv>, identity: Identity, records: GovernanceRecord[]): GovernedCall {
  return {
    identity,
    requestId: c.var.requestId,
    nowMs: Date.now(),
    client: header(c, "X-Axonflow-Client", 255),
    userEmail: header(c, "X-User-Email", 255),
    policies: systemPolicies(c.var.config.SQLI_ACTION),
    records,
  };
}
