/**
 * Human-approval requests (MCP `axonflow_request_approval`; decisions.md "MCP Pro tools"): stored
 * for a reviewer, counted per rolling 7 days against the tier (Free 2, Pro 20). The count and the
 * insert run under a per-org lock, so parallel requests cannot pass the cap together.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import { approvalRequests } from "../db/schema";
import type { Identity } from "../http/context";
import { type LimitResponse, tierGateResponse } from "../limits/envelopes";
import { TIERS } from "../tiers";

const WINDOW_MS = 7 * 86_400_000;
export const APPROVAL_SEVERITIES = ["low", "medium", "high", "critical"] as const;

export interface ApprovalRequestInput {
  originalQuery: string;
  requestType: string;
  triggerReason?: string;
  severity?: (typeof APPROVAL_SEVERITIES)[number];
}

export type ApprovalOutcome =
  | { kind: "submitted"; result: Record<string, unknown> }
  | { kind: "limit"; limit: LimitResponse };

export async function requestApproval(
  tx: Tx,
  identity: Identity,
  requestedBy: string,
  input: ApprovalRequestInput,
  nowMs: number,
): Promise<ApprovalOutcome> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('approvals:' || ${identity.orgId})::bigint)`);
  const since = new Date(nowMs - WINDOW_MS);
  const { rows } = await tx.execute<{ n: number; oldest: string | null }>(sql`
    select count(*)::int as n, min(created_at) as oldest
    from approval_requests where created_at > ${since.toISOString()}`);
  const cap = TIERS[identity.tier].approvalsPer7Days;
  const window = rows[0];
  if ((window?.n ?? 0) >= cap) {
    const oldest = window?.oldest ? Date.parse(window.oldest) : nowMs;
    return {
      kind: "limit",
      limit: tierGateResponse(
        identity.tier,
        { limitType: "hitl_approvals_window", limit: cap, nextAvailable: new Date(oldest + WINDOW_MS) },
        nowMs,
      ),
    };
  }
  const severity = input.severity ?? "medium";
  const [row] = await tx
    .insert(approvalRequests)
    .values({
      tenantId: identity.tenantId,
      orgId: identity.orgId,
      originalQuery: input.originalQuery,
      requestType: input.requestType,
      triggerReason: input.triggerReason ?? "MCP-tool-initiated approval (axonflow_request_approval)",
      severity,
      requestedBy,
      createdAt: new Date(nowMs),
    })
    .returning({ id: approvalRequests.id });
  return {
    kind: "submitted",
    result: {
      approval_id: String(row?.id),
      awaiting_review: true,
      message:
        "Approval request submitted. A reviewer must approve it in the AxonFlow customer portal before the operation can go ahead.",
      original_query: input.originalQuery,
      request_type: input.requestType,
      severity,
      status: "pending",
      submitted: true,
      success: true,
    },
  };
}
