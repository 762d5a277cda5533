/**
 * Reading decisions (platform.md §9.4, the reference's ADR-043): the recent list a tier may see
 * and the explanation of one. Every check leaves a `policy_decisions` row (allowed ones too, so
 * any decision id a client was given can be explained); verdicts are the canonical
 * `allowed | blocked | redacted`, and filters accept the older `allow | deny | require_approval`.
 */
import { and, count, desc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import { policyDecisions, policyOverrides } from "../db/schema";
import { systemPolicies } from "../policy/posture";
import { TIERS, type Tier } from "../tiers";
import type { Outcome } from "./overrides";

const CANONICAL = ["allowed", "blocked", "redacted", "needs_approval", "error"] as const;
const ALIASES: Record<string, (typeof CANONICAL)[number]> = {
  allow: "allowed",
  deny: "blocked",
  denied: "blocked",
  block: "blocked",
  redact: "redacted",
  require_approval: "needs_approval",
  requires_approval: "needs_approval",
};

export const DECISION_MESSAGES = {
  limit: "limit must be a positive integer",
  since: "since must be RFC3339 (e.g. 2026-05-01T00:00:00Z)",
  decision: `decision must be one of: ${CANONICAL.join(", ")}`,
  notFound: "Decision not found or past retention window",
} as const;

export interface DecisionFilters {
  limit?: string;
  since?: string;
  decision?: string;
  policy_id?: string;
  tool_signature?: string;
}

export type DecisionList =
  | { kind: "list"; decisions: Array<Record<string, unknown>> }
  | { kind: "over_cap"; limit: number }
  | { kind: "invalid"; message: string };

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** The tenant's recent decisions within its tier's window and row cap (over the cap: `over_cap`, never trimmed). */
export async function listDecisions(
  tx: Tx,
  tier: Tier,
  filters: DecisionFilters,
  nowMs: number,
): Promise<DecisionList> {
  const { windowHours, maxRows } = TIERS[tier].decisionList;
  let limit = maxRows;
  if (filters.limit !== undefined && filters.limit !== "") {
    const parsed = Number(filters.limit);
    if (!Number.isInteger(parsed) || parsed <= 0) return { kind: "invalid", message: DECISION_MESSAGES.limit };
    if (parsed > maxRows) return { kind: "over_cap", limit: maxRows };
    limit = parsed;
  }
  const windowStart = nowMs - windowHours * 3_600_000;
  let since = windowStart;
  if (filters.since) {
    if (!RFC3339.test(filters.since)) return { kind: "invalid", message: DECISION_MESSAGES.since };
    since = Math.max(windowStart, Date.parse(filters.since));
  }
  const conditions = [gte(policyDecisions.timestamp, new Date(since))];
  if (filters.decision) {
    const wanted = ALIASES[filters.decision] ?? filters.decision;
    if (!(CANONICAL as readonly string[]).includes(wanted))
      return { kind: "invalid", message: DECISION_MESSAGES.decision };
    conditions.push(eq(policyDecisions.decision, wanted));
  }
  if (filters.policy_id) conditions.push(eq(policyDecisions.policyId, filters.policy_id));
  if (filters.tool_signature) conditions.push(eq(policyDecisions.toolSignature, filters.tool_signature));
  const rows = await tx
    .select()
    .from(policyDecisions)
    .where(and(...conditions))
    .orderBy(desc(policyDecisions.timestamp))
    .limit(limit);
  return {
    kind: "list",
    decisions: rows.map((row) => ({
      decision_id: row.decisionId,
      timestamp: row.timestamp.toISOString(),
      decision: row.decision,
      ...(row.policyId ? { policy_id: row.policyId } : {}),
      ...(row.toolSignature ? { tool_signature: row.toolSignature } : {}),
    })),
  };
}

interface StoredMatch {
  policy_id: string;
  policy_name?: string;
  risk_level?: string;
  allow_override?: boolean;
  action?: string;
}

const descriptions = () => new Map(systemPolicies().map((p) => [p.id, p.description]));

/** The explanation of one of the tenant's decisions (the reference's `DecisionExplanation`). */
export async function explainDecision(tx: Tx, decisionId: string): Promise<Outcome<Record<string, unknown>>> {
  const [row] = await tx.select().from(policyDecisions).where(eq(policyDecisions.decisionId, decisionId));
  if (!row) return { ok: false, status: 404, message: DECISION_MESSAGES.notFound };
  const matches = (row.policyMatches as StoredMatch[]) ?? [];
  const known = descriptions();
  const overridable = matches.find((m) => m.action === "block" && m.allow_override && m.risk_level !== "critical");
  let overrideId: string | undefined;
  if (overridable) {
    const [live] = await tx
      .select({ id: policyOverrides.id })
      .from(policyOverrides)
      .where(
        and(
          eq(policyOverrides.policyId, overridable.policy_id),
          isNull(policyOverrides.revokedAt),
          sql`${policyOverrides.expiresAt} > now()`,
        ),
      )
      .orderBy(desc(policyOverrides.createdAt))
      .limit(1);
    overrideId = live?.id;
  }
  // A live override of the deciding policy, else the one that let this very decision through.
  const existing = overrideId ?? row.overrideId ?? undefined;
  let hits = 0;
  if (row.policyId) {
    const [counted] = await tx
      .select({ n: count() })
      .from(policyDecisions)
      .where(
        and(
          eq(policyDecisions.policyId, row.policyId),
          gte(policyDecisions.timestamp, new Date(row.timestamp.getTime() - 86_400_000)),
          lt(policyDecisions.timestamp, new Date(row.timestamp.getTime() + 1)),
        ),
      );
    hits = counted?.n ?? 0;
  }
  return {
    ok: true,
    value: {
      decision_id: row.decisionId,
      timestamp: row.timestamp.toISOString(),
      policy_matches: matches.map((m) => ({
        policy_id: m.policy_id,
        ...(m.policy_name ? { policy_name: m.policy_name } : {}),
        ...(m.action ? { action: m.action } : {}),
        ...(m.risk_level ? { risk_level: m.risk_level } : {}),
        ...(m.allow_override ? { allow_override: true } : {}),
        ...(known.get(m.policy_id) ? { policy_description: known.get(m.policy_id) } : {}),
      })),
      decision: row.decision,
      reason: row.blockReason ?? "",
      ...(row.riskLevel ? { risk_level: row.riskLevel } : {}),
      override_available: overridable !== undefined,
      ...(existing ? { override_existing_id: existing } : {}),
      historical_hit_count_session: hits,
      ...(row.toolSignature ? { tool_signature: row.toolSignature } : {}),
    },
  };
}
