/**
 * A tenant's own static policies (`static_policies` rows with `tier = 'tenant'`) as engine
 * policies, and the isolate's cache of them. Tenant rows apply on every request-phase call site
 * (check_policy, check-input, pre-check, /api/request), to their `connector_type` or to every tool.
 * The tenant's gate tells each request which version of the tenant's rows is current; only when the
 * isolate holds another version does the gate send the rows along (see src/limits/tenant-gate.ts).
 */
import type { Policy } from "./posture";
import type { PlaneScope, PolicyAction, RiskLevel, Severity } from "./system-policies";

/** A tenant row as the gate loads and sends it. */
export interface TenantPolicyRow {
  policy_id: string;
  name: string;
  description: string | null;
  category: string;
  pattern: string;
  severity: string;
  action: string;
  priority: number;
  version: number;
  risk_level: string | null;
  allow_override: boolean;
  connector_type: string | null;
}

/** Actions a tenant may choose; `audit` is the MCP tool's word for log, approval requests block. */
export const TENANT_ACTIONS = ["block", "warn", "log", "redact", "audit", "require_approval"] as const;

const REQUEST_SCOPES: PlaneScope[] = [
  "mcp:request",
  "decide:request",
  "gateway_request:request",
  "proxy_request:request",
];
const SEVERITIES = new Set<Severity>(["critical", "high", "medium", "low"]);

function engineAction(action: string): PolicyAction {
  if (action === "audit") return "log";
  if (action === "require_approval") return "block";
  return action === "warn" || action === "log" || action === "redact" ? action : "block";
}

export function tenantPolicy(row: TenantPolicyRow): Policy {
  const severity = SEVERITIES.has(row.severity as Severity) ? (row.severity as Severity) : "medium";
  const critical = severity === "critical";
  const action = engineAction(row.action);
  return {
    id: row.policy_id,
    name: row.name,
    description: row.description ?? "",
    category: row.category,
    severity,
    priority: row.priority,
    pattern: row.pattern,
    executionScoped: false,
    connector: row.connector_type ?? undefined,
    phase: "request",
    riskLevel: critical ? "critical" : ((row.risk_level as RiskLevel | null) ?? "medium"),
    allowOverride: !critical && row.allow_override,
    version: row.version,
    actions: Object.fromEntries(REQUEST_SCOPES.map((scope) => [scope, action])),
    tier: "tenant",
  };
}

const cache = new Map<string, { version: string; policies: readonly Policy[] }>();
/** Tenants whose compiled rows an isolate keeps (least recently stored dropped first). */
const MAX_TENANTS = 500;

/** The version of the tenant's rows this isolate holds, if any. */
export function cachedTenantVersion(tenantId: string): string | undefined {
  return cache.get(tenantId)?.version;
}

/**
 * The tenant's policies for `version`: from the rows the gate sent, else from the isolate's cache
 * (which the gate only skips sending when it holds that very version). An empty version: no rows.
 */
export function tenantPolicies(
  tenantId: string,
  version: string,
  rows?: readonly TenantPolicyRow[],
): readonly Policy[] {
  if (version === "") return [];
  const held = cache.get(tenantId);
  if (held?.version === version && !rows) return held.policies;
  const policies = (rows ?? []).map(tenantPolicy);
  cache.delete(tenantId);
  if (cache.size >= MAX_TENANTS) cache.delete(cache.keys().next().value as string);
  cache.set(tenantId, { version, policies });
  return policies;
}

/** Drops the tenant's compiled policies from this isolate (erasure). */
export function forgetTenantPolicies(tenantId: string): void {
  cache.delete(tenantId);
}
