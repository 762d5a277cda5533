/**
 * Session overrides (platform.md §9.4; the reference's ADR-044): a tenant lets a blocking policy
 * through for a while, with a written reason. Stored in `policy_overrides` under the tenant's org;
 * the tenant gate hands the live ones to every policy check, so a change takes effect on the next
 * request (the routes invalidate the gate after writing). Unlike the newest reference, an override
 * applies to the whole tenant (the plugins' hooks carry no per-user identity) and honours its
 * `tool_signature` (the `connector_type` it is restricted to).
 */
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "../db/client";
import { dynamicPolicies, policyOverrides, staticPolicies } from "../db/schema";
import type { Identity } from "../http/context";
import { systemPolicies } from "../policy/posture";

export const TTL = { default: 3600, min: 60, max: 86_400 } as const;
const REASON_MAX_BYTES = 500;

export const MESSAGES = {
  policyIdRequired: "policy_id is required",
  policyTypeInvalid: "policy_type must be 'static' or 'dynamic'",
  reasonRequired: "override_reason is required (ADR-044: mandatory justification)",
  reasonTooLong: "override_reason exceeds maximum length of 500 characters",
  policyNotFound: "Policy not found",
  critical: "Critical-risk policies cannot be overridden",
  notOverridable: "This policy has allow_override=false and cannot be session-overridden",
  notFound: "Override not found",
  notFoundOrRevoked: "Override not found or already revoked",
} as const;

/** The create body (types only: the reference's messages come from `createOverride`'s own checks). */
export const createOverrideBody = z.object({
  policy_id: z.string().max(100).optional(),
  policy_type: z.string().optional(),
  override_reason: z.string().optional(),
  tool_signature: z.string().max(255).nullish(),
  ttl_seconds: z.number().finite().optional(),
});

export type CreateOverrideInput = z.infer<typeof createOverrideBody>;

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 403 | 404; message: string };

/** The TTL rule: absent or 0 → 3600 s; clamped to 60..86400 and said so. */
export function clampTtl(requested: number | undefined): {
  ttl: number;
  requested?: number;
  clampedReason?: "below_minimum" | "exceeds_hard_cap";
} {
  if (!requested) return { ttl: TTL.default };
  // `requested_ttl` is an integer column: an absurd request is kept as the nearest value it holds.
  const whole = Math.trunc(Math.min(Math.max(requested, -2_147_483_648), 2_147_483_647));
  if (whole > TTL.max) return { ttl: TTL.max, requested: whole, clampedReason: "exceeds_hard_cap" };
  if (whole < TTL.min) return { ttl: TTL.min, requested: whole, clampedReason: "below_minimum" };
  return { ttl: whole, requested: whole };
}

/** Whether a policy may be overridden, as the check path would judge it (critical never). */
async function overridability(
  tx: Tx,
  policyId: string,
  policyType: "static" | "dynamic",
): Promise<{ found: false } | { found: true; riskLevel: string; allowOverride: boolean }> {
  if (policyType === "static") {
    const system = systemPolicies().find((p) => p.id === policyId);
    if (system) return { found: true, riskLevel: system.riskLevel, allowOverride: system.allowOverride };
    const [row] = await tx
      .select({
        severity: staticPolicies.severity,
        risk: staticPolicies.riskLevel,
        allow: staticPolicies.allowOverride,
      })
      .from(staticPolicies)
      .where(and(eq(staticPolicies.policyId, policyId), isNull(staticPolicies.deletedAt)));
    if (!row) return { found: false };
    const critical = row.severity === "critical" || row.risk === "critical";
    return { found: true, riskLevel: critical ? "critical" : (row.risk ?? "medium"), allowOverride: row.allow };
  }
  const [row] = await tx
    .select({ id: dynamicPolicies.id })
    .from(dynamicPolicies)
    .where(
      and(
        sql`(${dynamicPolicies.policyId} = ${policyId} or ${dynamicPolicies.name} = ${policyId})`,
        isNull(dynamicPolicies.deletedAt),
      ),
    );
  return row ? { found: true, riskLevel: "medium", allowOverride: true } : { found: false };
}

type OverrideRow = typeof policyOverrides.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

/** A row as the list and get answers show it. */
export function overrideView(row: OverrideRow) {
  return {
    id: row.id,
    policy_id: row.policyId,
    policy_type: row.policyType,
    tenant_id: row.tenantId,
    override_reason: row.overrideReason,
    expires_at: iso(row.expiresAt),
    tool_signature: row.toolSignature ?? undefined,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    revoked_at: iso(row.revokedAt),
    revoked_by: row.revokedBy ?? undefined,
  };
}

/** Creates an override after the reference's checks, in its order. */
export async function createOverride(
  tx: Tx,
  identity: Identity,
  createdBy: string,
  input: CreateOverrideInput,
  nowMs: number,
): Promise<Outcome<Record<string, unknown>>> {
  const policyId = input.policy_id?.trim() ?? "";
  if (!policyId) return { ok: false, status: 400, message: MESSAGES.policyIdRequired };
  const policyType = input.policy_type;
  if (policyType !== "static" && policyType !== "dynamic") {
    return { ok: false, status: 400, message: MESSAGES.policyTypeInvalid };
  }
  const reason = input.override_reason?.trim() ?? "";
  if (!reason) return { ok: false, status: 400, message: MESSAGES.reasonRequired };
  if (new TextEncoder().encode(reason).byteLength > REASON_MAX_BYTES) {
    return { ok: false, status: 400, message: MESSAGES.reasonTooLong };
  }
  const policy = await overridability(tx, policyId, policyType);
  if (!policy.found) return { ok: false, status: 404, message: MESSAGES.policyNotFound };
  if (policy.riskLevel === "critical") return { ok: false, status: 403, message: MESSAGES.critical };
  if (!policy.allowOverride) return { ok: false, status: 403, message: MESSAGES.notOverridable };

  const { ttl, requested, clampedReason } = clampTtl(input.ttl_seconds);
  const createdAt = new Date(nowMs);
  const [row] = await tx
    .insert(policyOverrides)
    .values({
      tenantId: identity.tenantId,
      orgId: identity.orgId,
      policyId,
      policyType,
      overrideReason: reason,
      toolSignature: input.tool_signature?.trim() || null,
      ttlSeconds: ttl,
      requestedTtl: requested ?? null,
      createdBy,
      createdAt,
      expiresAt: new Date(nowMs + ttl * 1000),
    })
    .returning();
  if (!row) throw new Error("override insert returned no row");
  return {
    ok: true,
    value: {
      id: row.id,
      policy_id: row.policyId,
      policy_type: row.policyType,
      expires_at: row.expiresAt.toISOString(),
      ttl_seconds: row.ttlSeconds,
      ...(requested !== undefined ? { requested_ttl: requested } : {}),
      ...(clampedReason ? { clamped: true, clamped_reason: clampedReason } : {}),
      created_at: row.createdAt.toISOString(),
    },
  };
}

/** The tenant's overrides, newest first (expired ones too, as the reference lists them). */
export async function listOverrides(
  tx: Tx,
  filters: { policyId?: string; includeRevoked?: boolean },
): Promise<{ overrides: ReturnType<typeof overrideView>[]; count: number }> {
  const conditions = [];
  if (filters.policyId) conditions.push(eq(policyOverrides.policyId, filters.policyId));
  if (!filters.includeRevoked) conditions.push(isNull(policyOverrides.revokedAt));
  const rows = await tx
    .select()
    .from(policyOverrides)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(policyOverrides.createdAt))
    .limit(100);
  return { overrides: rows.map(overrideView), count: rows.length };
}

export async function getOverride(tx: Tx, id: string): Promise<Outcome<ReturnType<typeof overrideView>>> {
  if (!z.uuid().safeParse(id).success) return { ok: false, status: 404, message: MESSAGES.notFound };
  const [row] = await tx.select().from(policyOverrides).where(eq(policyOverrides.id, id));
  return row ? { ok: true, value: overrideView(row) } : { ok: false, status: 404, message: MESSAGES.notFound };
}

/** Revokes a live (or expired but unrevoked) override: 200 `{id, revoked_at}`. */
export async function revokeOverride(
  tx: Tx,
  id: string,
  revokedBy: string,
  nowMs: number,
): Promise<Outcome<{ id: string; revoked_at: string }>> {
  if (!z.uuid().safeParse(id).success) return { ok: false, status: 404, message: MESSAGES.notFoundOrRevoked };
  const [row] = await tx
    .update(policyOverrides)
    .set({ revokedAt: new Date(nowMs), revokedBy })
    .where(and(eq(policyOverrides.id, id), isNull(policyOverrides.revokedAt)))
    .returning({ id: policyOverrides.id, revokedAt: policyOverrides.revokedAt });
  if (!row?.revokedAt) return { ok: false, status: 404, message: MESSAGES.notFoundOrRevoked };
  return { ok: true, value: { id: row.id, revoked_at: row.revokedAt.toISOString() } };
}

/** Who made a change: the end user's email when the client sends one, else the tenant's client. */
export const actorOf = (userEmail: string | undefined, identity: Identity) =>
  userEmail ?? `mcp-client:${identity.clientId}`;
