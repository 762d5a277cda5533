/** Full refunds and disputes revoke the payment's license (platform.md §3.4, decisions.md). */
import type { Database } from "../../db/client";

export type PaymentRevocationReason = "full_refund" | "dispute";

export interface PaymentRevocation {
  /** Tenants whose license this call revoked (their gates must drop cached license state). */
  revokedTenants: string[];
  /** The checkout session of the payment, when a license exists for it. */
  sessionId: string | null;
}

/**
 * Records the refund or dispute for the payment intent (so an issuance that arrives later is born
 * revoked) and revokes every active license of the payment, in one statement.
 */
export async function revokePayment(
  db: Database,
  paymentIntentId: string,
  reason: PaymentRevocationReason,
  ids: { chargeId: string | null; disputeId: string | null },
): Promise<PaymentRevocation> {
  const rows = await db.query<{ tenant_id: string; stripe_session_id: string | null; newly_revoked: boolean }>(
    "select tenant_id, stripe_session_id, newly_revoked from public.billing_revoke_payment($1, $2, $3, $4)",
    [paymentIntentId, reason, ids.chargeId, ids.disputeId],
  );
  return {
    revokedTenants: [...new Set(rows.filter((r) => r.newly_revoked).map((r) => r.tenant_id))],
    sessionId: rows.find((r) => r.stripe_session_id)?.stripe_session_id ?? null,
  };
}

/** The checkout session that paid with `paymentIntentId`, if a license records one. */
export async function sessionForPayment(db: Database, paymentIntentId: string): Promise<string | null> {
  const rows = await db.query<{ session: string | null }>("select public.billing_session_for_payment($1) as session", [
    paymentIntentId,
  ]);
  return rows[0]?.session ?? null;
}
