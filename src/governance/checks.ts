/**
 * The pre- and post-tool checks (platform.md §9.2, §9.3): evaluate, build the answer each wire
 * format expects, and leave a decision row and an audit row on the call. The MCP tools
 * (`check_policy`, `check_output`) and the REST routes (`/api/v1/mcp/check-input`, `-output`) share
 * the evaluation and the records; only the response fields differ, as they do in the reference.
 */
import { AUDIT_QUERY_MAX_CHARS, type AuditRequestType, type CallSite } from "../audit/records";
import { sha256Hex } from "../crypto";
import {
  blockReasonFor,
  evaluateRequest,
  evaluateResponse,
  type PolicyMatch,
  type RequestEvaluation,
  type ResponseEvaluation,
} from "../policy/engine";
import type { PlaneScope } from "../policy/system-policies";
import type { ActiveOverride } from "../rpc/tenant-gate";
import type { GovernedCall } from "./call";

/** Which wire format answers: the MCP tool result or the REST body. */
export type CheckSurface = "mcp" | "rest";

export interface CheckInputRequest {
  connectorType: string;
  statement: string;
  operation?: string;
  parameters?: Record<string, unknown>;
}

export interface CheckOutputRequest {
  connectorType: string;
  message?: string;
  responseData?: unknown[];
}

export interface CheckAnswer {
  allowed: boolean;
  body: Record<string, unknown>;
}

/** Exfiltration limits of check-output (the reference's MCP_MAX_ROWS_PER_QUERY / _BYTES_). */
export const EXFILTRATION_LIMITS = { rows: 10_000, bytes: 10_485_760 } as const;

const policyMatch = (m: PolicyMatch) => ({
  policy_id: m.policy.id,
  policy_name: m.policy.name,
  risk_level: m.policy.riskLevel,
  allow_override: m.policy.allowOverride,
  policy_version: m.policy.version,
});

/** The decision's matches as stored (every action, for explain and audit). */
const storedMatches = (matches: PolicyMatch[]) =>
  matches.map((m) => ({ ...policyMatch(m), action: m.action, category: m.policy.category, field: m.field }));

/** A masked, bounded excerpt for the audit row: critical and contact PII never reach storage in clear. */
function auditExcerpt(call: GovernedCall, text: string): string {
  const excerpt = text.slice(0, AUDIT_QUERY_MAX_CHARS);
  const masked = evaluateResponse(call.policies, "mcp:response", { connectorType: "", message: excerpt });
  return masked.redactedMessage ?? excerpt;
}

async function record(
  call: GovernedCall,
  site: { callSite: CallSite; requestType: AuditRequestType },
  decisionId: string,
  evaluation: RequestEvaluation | ResponseEvaluation,
  text: string,
  extra: { connectorType: string; operation?: string; redacted: boolean; overrideId?: string },
): Promise<void> {
  const { identity } = call;
  const timestamp = new Date(call.nowMs).toISOString();
  const decision = evaluation.blocking ? "blocked" : extra.redacted ? "redacted" : "allowed";
  const deciding = evaluation.blocking ?? evaluation.matches[0];
  const statementHash = await sha256Hex(text);
  call.records.push({
    kind: "decision",
    decisionId,
    requestId: call.requestId,
    timestamp,
    tenantId: identity.tenantId,
    orgId: identity.orgId,
    clientId: identity.clientId,
    decision,
    callSite: site.callSite,
    connectorType: extra.connectorType,
    operation: extra.operation,
    toolSignature: extra.connectorType,
    policyId: deciding?.policy.id,
    riskLevel: evaluation.riskLevel,
    blockReason: evaluation.blockReason,
    policiesEvaluated: evaluation.policiesEvaluated,
    policyMatches: storedMatches(evaluation.matches),
    statementHash,
    clientName: call.client,
    overrideId: extra.overrideId,
  });
  call.records.push({
    kind: "audit",
    id: `audit_${crypto.randomUUID()}`,
    requestId: call.requestId,
    timestamp,
    tenantId: identity.tenantId,
    orgId: identity.orgId,
    clientId: identity.clientId,
    userEmail: call.userEmail,
    requestType: site.requestType,
    query: auditExcerpt(call, text),
    queryHash: statementHash,
    policyDecision: evaluation.blocking ? "blocked" : extra.redacted ? "redacted" : "allowed",
    policyDetails: {
      connector_type: extra.connectorType,
      operation: extra.operation,
      policies_evaluated: evaluation.policiesEvaluated,
      matched_policies: evaluation.matches.map((m) => m.policy.id),
      block_reason: evaluation.blockReason,
      override_id: extra.overrideId,
      client: call.client,
    },
    decisionId,
  });
}

/** Where a request-phase decision is taken: the policy scope and how it is recorded. */
export interface DecisionSite {
  scope: PlaneScope;
  callSite: CallSite;
  requestType: AuditRequestType;
}

/** The live override that lets this match through, if any (never for a non-overridable policy). */
function overrideFor(
  match: PolicyMatch,
  overrides: readonly ActiveOverride[],
  connectorType: string,
): ActiveOverride | undefined {
  if (!match.policy.allowOverride) return undefined;
  return overrides.find(
    (o) => o.policyId === match.policy.id && (o.toolSignature === null || o.toolSignature === connectorType),
  );
}

/**
 * Applies the tenant's overrides: a block whose policy has a live override no longer decides;
 * the next block that has none does. Returns the override that turned the verdict into an allow.
 */
function applyOverrides(
  evaluation: RequestEvaluation,
  overrides: readonly ActiveOverride[],
  connectorType: string,
): ActiveOverride | undefined {
  if (!evaluation.blocking || overrides.length === 0) return undefined;
  const first = overrideFor(evaluation.blocking, overrides, connectorType);
  if (!first) return undefined;
  const remaining = evaluation.matches.find((m) => m.action === "block" && !overrideFor(m, overrides, connectorType));
  evaluation.blocking = remaining;
  evaluation.blockReason = remaining ? blockReasonFor(remaining) : undefined;
  return remaining ? undefined : first;
}

/** Evaluates a statement at a call site and leaves its decision and audit rows on the call. */
export async function decideRequest(
  call: GovernedCall,
  site: DecisionSite,
  request: CheckInputRequest,
): Promise<{ evaluation: RequestEvaluation; decisionId: string; override?: ActiveOverride }> {
  const evaluation = evaluateRequest(call.policies, site.scope, {
    statement: request.statement,
    connectorType: request.connectorType,
    parameters: request.parameters,
  });
  const override = applyOverrides(evaluation, call.overrides, request.connectorType);
  const decisionId = crypto.randomUUID();
  await record(call, site, decisionId, evaluation, request.statement, {
    connectorType: request.connectorType,
    operation: request.operation,
    redacted: evaluation.redactedStatement !== undefined,
    overrideId: override?.id,
  });
  return { evaluation, decisionId, override };
}

/** check_policy / check-input: HTTP 200 when allowed, 403 when blocked on REST (same body). */
export async function checkInput(
  call: GovernedCall,
  request: CheckInputRequest,
  surface: CheckSurface,
): Promise<CheckAnswer> {
  const { evaluation, decisionId, override } = await decideRequest(
    call,
    {
      scope: "mcp:request",
      callSite: surface === "mcp" ? "mcp_check_policy" : "check_input",
      requestType: "mcp_check_input",
    },
    request,
  );
  const redacted = evaluation.redactedStatement !== undefined;
  const blocking = evaluation.blocking;
  if (blocking) {
    const overridable = blocking.policy.allowOverride;
    const body: Record<string, unknown> =
      surface === "mcp"
        ? {
            allowed: false,
            decision_id: decisionId,
            policies_evaluated: evaluation.policiesEvaluated,
            block_reason: evaluation.blockReason,
            blocked_by: blocking.policy.id,
            risk_level: evaluation.riskLevel,
            policy_matches: evaluation.matches.map(policyMatch),
          }
        : {
            allowed: false,
            block_reason: evaluation.blockReason,
            policies_evaluated: evaluation.policiesEvaluated,
            decision_id: decisionId,
            risk_level: evaluation.riskLevel,
            policy_matches: evaluation.matches.map(policyMatch),
          };
    if (overridable) body.override_available = true;
    if (surface === "rest") body.redaction_evaluated = true;
    return { allowed: false, body };
  }
  const overridden = override ? { override_existing_id: override.id } : {};
  if (surface === "mcp") {
    const body: Record<string, unknown> = {
      allowed: true,
      decision_id: decisionId,
      policies_evaluated: evaluation.policiesEvaluated,
      ...overridden,
    };
    if (redacted) {
      body.requires_redaction = true;
      body.redacted_statement = evaluation.redactedStatement;
    }
    return { allowed: true, body };
  }
  return {
    allowed: true,
    body: {
      allowed: true,
      policies_evaluated: evaluation.policiesEvaluated,
      decision_id: decisionId,
      ...overridden,
      ...(redacted ? { redacted: true, redacted_statement: evaluation.redactedStatement } : {}),
      redaction_evaluated: true,
    },
  };
}

function exfiltrationInfo(rows: unknown[]) {
  const bytes = new TextEncoder().encode(JSON.stringify(rows)).byteLength;
  return {
    rows_returned: rows.length,
    row_limit: EXFILTRATION_LIMITS.rows,
    bytes_returned: bytes,
    byte_limit: EXFILTRATION_LIMITS.bytes,
    within_limits: rows.length <= EXFILTRATION_LIMITS.rows && bytes <= EXFILTRATION_LIMITS.bytes,
  };
}

/**
 * check_output / check-output: PII in a tool's output is masked (`redacted_message` /
 * `redacted_data`), a blocking row or (REST) an exfiltration limit denies.
 */
export async function checkOutput(
  call: GovernedCall,
  request: CheckOutputRequest,
  surface: CheckSurface,
): Promise<CheckAnswer> {
  const evaluation = evaluateResponse(call.policies, "mcp:response", {
    connectorType: request.connectorType,
    message: request.message,
    rows: request.responseData,
  });
  const decisionId = crypto.randomUUID();
  const exfiltration = request.responseData ? exfiltrationInfo(request.responseData) : undefined;
  const redacted = evaluation.redactedMessage !== undefined || evaluation.redactedRows !== undefined;
  const scanned = request.message ?? JSON.stringify(request.responseData ?? []);
  const overLimits = surface === "rest" && exfiltration !== undefined && !exfiltration.within_limits;
  if (overLimits && !evaluation.blocking) {
    evaluation.blockReason =
      exfiltration.rows_returned > exfiltration.row_limit
        ? `Row count limit exceeded: ${exfiltration.rows_returned} rows returned, limit is ${exfiltration.row_limit}`
        : `Data volume limit exceeded: ${exfiltration.bytes_returned} bytes returned, limit is ${exfiltration.byte_limit}`;
  }
  const blocked = evaluation.blocking !== undefined || overLimits;
  await record(
    call,
    { callSite: surface === "mcp" ? "mcp_check_output" : "check_output", requestType: "mcp_check_output" },
    decisionId,
    evaluation,
    scanned,
    { connectorType: request.connectorType, redacted },
  );

  if (blocked) {
    const reason =
      evaluation.blocking && surface === "rest"
        ? `Response blocked: ${evaluation.blockReason}`
        : evaluation.blockReason;
    return {
      allowed: false,
      body: {
        allowed: false,
        block_reason: reason,
        decision_id: decisionId,
        policies_evaluated: evaluation.policiesEvaluated,
        ...(exfiltration ? { exfiltration_info: exfiltration } : {}),
      },
    };
  }
  if (surface === "mcp") {
    return {
      allowed: true,
      body: {
        allowed: true,
        decision_id: decisionId,
        policies_evaluated: evaluation.policiesEvaluated,
        ...(evaluation.redactedRows ? { redacted_data: evaluation.redactedRows } : {}),
        ...(evaluation.redactedMessage !== undefined ? { redacted_message: evaluation.redactedMessage } : {}),
        ...(exfiltration ? { exfiltration_info: exfiltration } : {}),
      },
    };
  }
  const redactedData = evaluation.redactedRows ?? evaluation.redactedMessage;
  return {
    allowed: true,
    body: {
      allowed: true,
      ...(redactedData !== undefined ? { redacted_data: redactedData } : {}),
      policies_evaluated: evaluation.policiesEvaluated,
      ...(exfiltration ? { exfiltration_info: exfiltration } : {}),
      decision_id: decisionId,
      redaction_evaluated: true,
    },
  };
}
