/**
 * Writes governance records to Postgres inside an org-scoped transaction (row-level security holds:
 * every row carries the org the transaction is scoped to). Re-sent rows are ignored by primary key.
 */
import type { Tx } from "../db/client";
import { auditLogs, policyDecisions } from "../db/schema";
import type { AuditRecord, DecisionRecord, GovernanceRecord } from "./records";

/** Rows per INSERT: stays far below Postgres's 65,535 bind parameters at 26 columns. */
export const INSERT_CHUNK = 500;

function auditRow(record: AuditRecord): typeof auditLogs.$inferInsert {
  return {
    id: record.id,
    requestId: record.requestId,
    timestamp: new Date(record.timestamp),
    userId: record.userId ?? null,
    userEmail: record.userEmail ?? "",
    userRole: record.userRole ?? "",
    clientId: record.clientId,
    tenantId: record.tenantId,
    orgId: record.orgId,
    requestType: record.requestType,
    query: record.query,
    queryHash: record.queryHash,
    policyDecision: record.policyDecision,
    policyDetails: record.policyDetails ?? null,
    decisionId: record.decisionId ?? null,
    provider: record.provider ?? null,
    model: record.model ?? null,
    responseTimeMs: record.responseTimeMs ?? null,
    tokensUsed: record.tokensUsed ?? null,
    cost: record.cost === undefined ? null : String(record.cost),
    redactedFields: record.redactedFields ?? null,
    errorMessage: record.errorMessage ?? null,
    responseSample: record.responseSample ?? null,
  };
}

function decisionRow(record: DecisionRecord): typeof policyDecisions.$inferInsert {
  return {
    decisionId: record.decisionId,
    tenantId: record.tenantId,
    orgId: record.orgId,
    clientId: record.clientId,
    requestId: record.requestId,
    timestamp: new Date(record.timestamp),
    decision: record.decision,
    callSite: record.callSite,
    connectorType: record.connectorType ?? null,
    operation: record.operation ?? null,
    toolSignature: record.toolSignature ?? null,
    policyId: record.policyId ?? null,
    riskLevel: record.riskLevel ?? null,
    blockReason: record.blockReason ?? null,
    policiesEvaluated: record.policiesEvaluated,
    policyMatches: record.policyMatches,
    overrideId: record.overrideId ?? null,
    statementHash: record.statementHash,
    clientName: record.clientName ?? null,
  };
}

/** Inserts `records` (any mix of kinds) and returns how many of each were sent. */
export async function insertRecords(
  tx: Tx,
  records: readonly GovernanceRecord[],
): Promise<{ audit: number; decisions: number }> {
  const audits = records.filter((r): r is AuditRecord => r.kind === "audit").map(auditRow);
  const decisions = records.filter((r): r is DecisionRecord => r.kind === "decision").map(decisionRow);
  for (let i = 0; i < decisions.length; i += INSERT_CHUNK) {
    await tx
      .insert(policyDecisions)
      .values(decisions.slice(i, i + INSERT_CHUNK))
      .onConflictDoNothing();
  }
  for (let i = 0; i < audits.length; i += INSERT_CHUNK) {
    await tx
      .insert(auditLogs)
      .values(audits.slice(i, i + INSERT_CHUNK))
      .onConflictDoNothing();
  }
  return { audit: audits.length, decisions: decisions.length };
}
