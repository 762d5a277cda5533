/**
 * A governed call: who asked (identity from the credential), when, through which client, and the
 * records it leaves behind. MCP tools and REST routes build one and hand it to the checks, so both
 * wire formats decide and audit the same way.
 */
import type { Context } from "hono";
import type { GovernanceRecord } from "../audit/records";
import type { AppEnv, Identity } from "../http/context";
import type { PolicyGroups } from "../policy/engine";
import { systemPolicies } from "../policy/posture";
import { tenantPolicies } from "../policy/tenant-policies";
import type { ActiveOverride, GovernanceState } from "../rpc/tenant-gate";

export interface GovernedCall {
  identity: Identity;
  requestId: string;
  nowMs: number;
  /** `X-Axonflow-Client`, e.g. `cursor-plugin/1.7.0`. */
  client?: string;
  /** `X-User-Email`, when the plugin sends one. */
  userEmail?: string;
  /** The system policies under this deployment's posture, then the tenant's own. */
  policies: PolicyGroups;
  /** The tenant's live overrides (empty where the route did not ask for governance). */
  overrides: readonly ActiveOverride[];
  /** Audit and decision rows, sent to the tenant's gate after the response. */
  records: GovernanceRecord[];
}

const header = (c: Context<AppEnv>, name: string, max: number) => c.req.header(name)?.trim().slice(0, max) || undefined;

/**
 * The call context of a governed request. `governance` (from the tenant gate) adds the tenant's own
 * policies and overrides; without it only the system policies apply.
 */
export function governedCall(
  c: Context<AppEnv>,
  identity: Identity,
  records: GovernanceRecord[],
  governance?: GovernanceState,
): GovernedCall {
  const system = systemPolicies(c.var.config.SQLI_ACTION);
  const own = governance ? tenantPolicies(identity.tenantId, governance.version, governance.policies) : [];
  return {
    identity,
    requestId: c.var.requestId,
    nowMs: Date.now(),
    client: header(c, "X-Axonflow-Client", 255),
    userEmail: header(c, "X-User-Email", 255),
    policies: own.length > 0 ? [system, own] : [system],
    overrides: governance?.overrides ?? [],
    records,
  };
}
