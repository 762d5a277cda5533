/**
 * License issuance for a paid checkout (platform.md §3.3), exactly once per checkout session
 * whatever Stripe retries or reorders. Two transaction-scoped advisory locks order the writers:
 * the tenant's (purchases of one tenant, replays of one session) and the payment's (a refund or
 * dispute of the same payment, see billing_revoke_payment). Each statement after the locks reads
 * what the previous lock holder committed, so READ COMMITTED is exact here, and purchases of
 * different tenants never conflict — where SERIALIZABLE's predicate locks on small tables made
 * unrelated purchases abort each other. The row keeps `issued_at` and the signed `expires_at`, so
 * any later delivery re-mints the identical token (Ed25519 is deterministic). A new license leaves
 * a `license_issued` audit row for its tenant (and a revocation row when it is born revoked) in the
 * same transaction, so the tenant sees its license history in its own audit search.
 */
import { sql } from "drizzle-orm";
import type { AuditRecord } from "../../audit/records";
import { insertRecords } from "../../audit/store";
import { lookupCredential } from "../../credentials/store";
import { sha256Hex } from "../../crypto";
import type { Database } from "../../db/client";
import { retryOnConflict, withOrgScope } from "../../db/scope";
import {
  formatLicenseDate,
  type LicenseTier,
  licenseExpiry,
  mintLicenseToken,
  parseLicenseDate,
} from "../../license/codec";
import type { Keyring } from "../../license/keys";

export const PLUGIN_AUDIENCE = "axonflow.saas.plugin";

export interface CheckoutPayment {
  tenantId: string;
  email: string;
  sessionId: string;
  customerId: string | null;
  paymentIntentId: string | null;
}

export type LicenseRow = {
  license_id: string;
  tenant_id: string;
  claimed_by_email: string;
  tier: LicenseTier;
  license_token_jti: string;
  issued_at: Date;
  expires_at: Date;
  revocation_reason: string | null;
  revoked: boolean;
};

export type Fulfilment =
  | { kind: "unknown_tenant" }
  | {
      kind: "license";
      row: LicenseRow;
      /** True when the session already had its license (a Stripe retry or replay). */
      replay: boolean;
      /** True for the tenant's first license ever. */
      first: boolean;
      /** A previous active license of the tenant was revoked by this purchase. */
      replacedPrevious: boolean;
    };

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function normaliseRow(row: LicenseRow): LicenseRow {
  return { ...row, issued_at: toDate(row.issued_at), expires_at: toDate(row.expires_at) };
}

/**
 * `policy_decision` of license rows: a lifecycle marker, not a governed request's verdict, so audit
 * summaries leave it out of their verdict counts. billing_revoke_payment (migrations/030_billing.sql)
 * writes the same marker and query wording for revocations that arrive after issuance.
 */
const LICENSE_LIFECYCLE = "license_lifecycle";

const REVOKED_QUERY = { full_refund: "full refund", dispute: "dispute" } as const;

/**
 * The tenant's audit rows for a license this delivery created: never the token, only what the
 * tenant may read about its own purchase. `request_id` is the checkout session.
 */
async function licenseAudits(
  row: LicenseRow,
  orgId: string,
  sessionId: string,
  extra: { replacedPrevious: boolean; nowMs: number },
): Promise<AuditRecord[]> {
  const base = {
    kind: "audit" as const,
    requestId: sessionId,
    timestamp: new Date(extra.nowMs).toISOString(),
    tenantId: row.tenant_id,
    orgId,
    clientId: row.tenant_id,
    policyDecision: LICENSE_LIFECYCLE,
  };
  const details = { license_id: row.license_id, tier: row.tier, stripe_session_id: sessionId };
  const issuedQuery = `${row.tier} license issued, valid until ${row.expires_at.toISOString().slice(0, 10)}`;
  const audits: AuditRecord[] = [
    {
      ...base,
      id: `audit_${crypto.randomUUID()}`,
      requestType: "license_issued",
      query: issuedQuery,
      queryHash: await sha256Hex(issuedQuery),
      policyDetails: {
        ...details,
        expires_at: row.expires_at.toISOString(),
        replaced_previous: extra.replacedPrevious,
      },
    },
  ];
  const reason = row.revocation_reason;
  if (row.revoked && (reason === "full_refund" || reason === "dispute")) {
    // The refund or dispute came first and found no license to revoke: this row is its record.
    const revokedQuery = `${row.tier} license revoked: ${REVOKED_QUERY[reason]}`;
    audits.push({
      ...base,
      id: `audit_${crypto.randomUUID()}`,
      requestType: reason === "dispute" ? "license_revoked_dispute" : "license_revoked_full_refund",
      query: revokedQuery,
      queryHash: await sha256Hex(revokedQuery),
      policyDetails: { ...details, revocation_reason: reason, revoked_before_issuance: true },
    });
  }
  return audits;
}

/** Records the license of a paid checkout (or finds the one already recorded). */
export async function fulfilCheckout(
  db: Database,
  payment: CheckoutPayment,
  options: { validityDays: number; nowMs: number },
): Promise<Fulfilment> {
  const registration = await lookupCredential(db, payment.tenantId);
  if (!registration || registration.terminatedAt) return { kind: "unknown_tenant" };

  return retryOnConflict(() =>
    withOrgScope(db, registration.orgId, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${payment.tenantId})::bigint)`);
      if (payment.paymentIntentId) {
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtext(${`stripe_payment:${payment.paymentIntentId}`})::bigint)`,
        );
      }
      const columns = sql`license_id::text, tenant_id, claimed_by_email, tier, license_token_jti, issued_at, expires_at,
                            revocation_reason, revoked_at is not null as revoked`;
      const existing = await tx.execute<LicenseRow>(
        sql`select ${columns} from plugin_user_licenses where stripe_session_id = ${payment.sessionId} for update`,
      );
      if (existing.rows[0]) {
        return {
          kind: "license",
          row: normaliseRow(existing.rows[0]),
          replay: true,
          first: false,
          replacedPrevious: false,
        };
      }

      const [revocation, prior] = await Promise.all([
        payment.paymentIntentId
          ? tx.execute<{ reason: string | null }>(
              sql`select public.billing_payment_revocation_reason(${payment.paymentIntentId}) as reason`,
            )
          : undefined,
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from plugin_user_licenses where tenant_id = ${payment.tenantId}`,
        ),
      ]);
      // A full refund or dispute that arrived before this delivery: the license is born revoked.
      const revokedBy = revocation?.rows[0]?.reason ?? null;

      const issuedAt = new Date(Math.floor(options.nowMs / 1000) * 1000);
      // Stored at midnight UTC of the signed YYYYMMDD date, so the row re-mints the same payload.
      const expiryDate = licenseExpiry(formatLicenseDate(issuedAt), options.validityDays);
      const expiresAt = new Date(parseLicenseDate(expiryDate) ?? issuedAt.getTime());

      let replacedPrevious = false;
      if (!revokedBy) {
        const replaced = await tx.execute(sql`
            update plugin_user_licenses
            set revoked_at = now(), revocation_reason = coalesce(revocation_reason, 'replaced_by_new_purchase')
            where tenant_id = ${payment.tenantId} and revoked_at is null
              and stripe_session_id is distinct from ${payment.sessionId}`);
        replacedPrevious = (replaced.rowCount ?? 0) > 0;
      }
      const inserted = await tx.execute<LicenseRow>(sql`
          insert into plugin_user_licenses
            (tenant_id, org_id, claimed_by_email, tier, license_token_jti, stripe_customer_id, stripe_session_id,
             stripe_payment_intent_id, issued_at, expires_at, revoked_at, revocation_reason)
          values
            (${payment.tenantId}, ${registration.orgId}, ${payment.email}, 'Pro', ${crypto.randomUUID()},
             ${payment.customerId}, ${payment.sessionId}, ${payment.paymentIntentId}, ${issuedAt.toISOString()},
             ${expiresAt.toISOString()}, ${revokedBy ? sql`now()` : null}, ${revokedBy})
          returning ${columns}`);
      const [created] = inserted.rows;
      if (!created) throw new Error("license insert returned no row");
      const row = normaliseRow(created);
      await insertRecords(
        tx,
        await licenseAudits(row, registration.orgId, payment.sessionId, { replacedPrevious, nowMs: options.nowMs }),
      );
      return {
        kind: "license",
        row,
        replay: false,
        first: (prior.rows[0]?.n ?? 0) === 0,
        replacedPrevious,
      };
    }),
  );
}

/** The token of a license row: deterministic, so every delivery of a session gets the same bytes. */
export function tokenForRow(row: LicenseRow, keyring: Keyring, deploymentId: string): Promise<string> {
  return mintLicenseToken(
    {
      tier: row.tier,
      tenantId: row.tenant_id,
      aud: PLUGIN_AUDIENCE,
      jti: row.license_token_jti,
      issuedAt: formatLicenseDate(row.issued_at),
      expiresAt: formatLicenseDate(row.expires_at),
      email: row.claimed_by_email,
      deploymentId,
    },
    keyring,
  );
}
