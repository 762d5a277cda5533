/**
 * The policies this service enforces: the reference's system rows (system-policies.ts, facts)
 * turned into engine policies by our posture — the product decisions where the reference's
 * versions disagree (see the README's "Policy posture"):
 *
 * - Request phase: every row keeps the reference's latest stored request action, except
 *   `security-sqli`, which takes its seeded action (block) unless `SQLI_ACTION` says otherwise:
 *   platform.md §9.6's table and the reference's own `SQLI_ACTION`/`strict` profile.
 * - Critical PII on the request phase is masked (`requires_redaction` / `redacted_statement`)
 *   instead of only logged; other PII on input is logged. The response phase keeps the reference's
 *   latest actions (PII masked, prompt-injection sentences removed).
 * - Critical severity means critical risk and never overridable, for every row (the reference
 *   left the 059 dangerous-command rows and later rows at `medium`).
 */
import {
  effectivePattern,
  integrationForConnector,
  isTextDocumentTool,
  type PlaneScope,
  type PolicyAction,
  type PolicyPhase,
  type RiskLevel,
  resolveAction,
  type Severity,
  SYSTEM_POLICIES,
  type SystemPolicy,
  type ValidatorId,
} from "./system-policies";

/** One policy as the engine evaluates it (system rows today; tenant rows join the same shape). */
export interface Policy {
  id: string;
  name: string;
  description: string;
  category: string;
  severity: Severity;
  priority: number;
  /** RE2 syntax as compiled (case rule applied). */
  pattern: string;
  validator?: ValidatorId;
  /** Skipped for text-document tools (Jira/Confluence), evaluated for every other tool. */
  executionScoped: boolean;
  /** `connector_type` prefix that activates the row (integration rows), else always active. */
  activatedBy?: string;
  /** Tenant rows: the one `connector_type` the row applies to (absent or `*`: every tool). */
  connector?: string;
  phase: PolicyPhase;
  riskLevel: RiskLevel;
  allowOverride: boolean;
  version: number;
  /** Call sites that evaluate the row, with the action it takes there. */
  actions: Partial<Record<PlaneScope, PolicyAction>>;
  tier: "system" | "tenant";
}

/** `SQLI_ACTION`: the request-phase action of `security-sqli` rows. */
export type SqliAction = "block" | "warn" | "log";

function toPolicy(row: SystemPolicy, sqliAction: SqliAction): Policy {
  const critical = row.severity === "critical";
  const actions: Partial<Record<PlaneScope, PolicyAction>> = {};
  for (const scope of row.planes) {
    let action = resolveAction(row, scope);
    const request = !scope.endsWith(":response");
    if (request && row.category === "security-sqli") action = row.seedAction === "block" ? sqliAction : row.seedAction;
    if (request && critical && row.category.startsWith("pii-") && action !== "block") action = "redact";
    actions[scope] = action;
  }
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    severity: row.severity,
    priority: row.priority,
    pattern: effectivePattern(row),
    validator: row.validator,
    executionScoped: row.executionScoped,
    activatedBy: row.integration?.connectorPrefix,
    phase: row.phase,
    riskLevel: critical ? "critical" : row.riskLevel,
    allowOverride: !critical && row.allowOverride,
    version: row.version,
    actions,
    tier: "system",
  };
}

const cache = new Map<SqliAction, readonly Policy[]>();

/**
 * The system policies under our posture, in evaluation order (priority descending, then the
 * reference's creation order). Integration rows are included; the engine activates them per call.
 */
export function systemPolicies(sqliAction: SqliAction = "block"): readonly Policy[] {
  let policies = cache.get(sqliAction);
  if (!policies) {
    policies = SYSTEM_POLICIES.filter((row) => row.enabled || row.integration).map((row) => toPolicy(row, sqliAction));
    cache.set(sqliAction, policies);
  }
  return policies;
}

/** Whether a row applies to a call with this `connector_type` (integration activation, a tenant row's tool, execution scoping). */
export function appliesTo(policy: Policy, connectorType: string): boolean {
  if (policy.activatedBy && integrationForConnector(connectorType)?.connectorPrefix !== policy.activatedBy) {
    return false;
  }
  if (policy.connector && policy.connector !== "*" && policy.connector !== connectorType) return false;
  return !(policy.executionScoped && isTextDocumentTool(connectorType));
}
