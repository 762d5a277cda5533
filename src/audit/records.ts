/**
 * Governance records: the audit and decision rows a governed call produces. The Worker builds them
 * after answering and hands them to the tenant's gate, whose outbox writes them to Postgres in
 * batches (src/limits/tenant-gate.ts). They are plain JSON so they survive Durable Object storage;
 * ids are minted here, so writing a batch twice cannot duplicate a row.
 */

/** An `audit_logs` row (columns in src/db/schema.ts). Timestamps are ISO strings. */
export interface AuditRecord {
  kind: "audit";
  id: string;
  requestId: string;
  timestamp: string;
  tenantId: string;
  orgId: string;
  clientId: string;
  userId?: string;
  userEmail?: string;
  userRole?: string;
  requestType: AuditRequestType;
  query: string;
  queryHash: string;
  policyDecision: string;
  policyDetails?: Record<string, unknown>;
  decisionId?: string;
  provider?: string;
  model?: string;
  responseTimeMs?: number;
  tokensUsed?: number;
  cost?: number;
  redactedFields?: string[];
  errorMessage?: string;
  responseSample?: string;
}

/** A `policy_decisions` row. */
export interface DecisionRecord {
  kind: "decision";
  decisionId: string;
  requestId: string;
  timestamp: string;
  tenantId: string;
  orgId: string;
  clientId: string;
  /** Canonical verdict (the reference's ADR-058 vocabulary). */
  decision: "allowed" | "blocked" | "redacted";
  callSite: CallSite;
  connectorType?: string;
  operation?: string;
  toolSignature?: string;
  policyId?: string;
  riskLevel?: string;
  blockReason?: string;
  policiesEvaluated: number;
  policyMatches: unknown[];
  overrideId?: string;
  statementHash: string;
  clientName?: string;
}

export type GovernanceRecord = AuditRecord | DecisionRecord;

/** `audit_logs.request_type` values this service writes (decisions.md fixes `tool_call_audit`). */
export type AuditRequestType =
  | "tool_call_audit"
  | "mcp_check_input"
  | "mcp_check_output"
  | "policy_pre_check"
  | "llm_call_audit"
  | "gateway_request"
  | "license_issued"
  | "license_revoked_full_refund"
  | "license_revoked_dispute";

/** Where a decision was taken (`policy_decisions.call_site`). */
export type CallSite =
  | "mcp_check_policy"
  | "mcp_check_output"
  | "check_input"
  | "check_output"
  | "pre_check"
  | "request";

/** Longest statement excerpt an audit row keeps (the full text is never stored, only its hash). */
export const AUDIT_QUERY_MAX_CHARS = 1000;
