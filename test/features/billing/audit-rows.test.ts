/** License issuance and payment revocations leave audit rows for the tenant (issue 10, item 1). */
import { describe, expect, it } from "vitest";
import { checkoutEvent, disputeEvent, refundEvent } from "../../../scripts/stripe-events.mjs";
import { sha256Hex } from "../../../src/crypto";
import { superuser } from "../../support/db";
import { registerTenant } from "../../support/http";
import { deliver } from "../../support/stripe";

interface AuditRow extends Record<string, unknown> {
  id: string;
  request_id: string;
  client_id: string;
  org_id: string;
  request_type: string;
  query: string;
  query_hash: string;
  policy_decision: string;
  policy_details: Record<string, unknown>;
}

const licenseRows = (tenantId: string) =>
  superuser<AuditRow>(
    `select id, request_id, client_id, org_id, request_type, query, query_hash, policy_decision, policy_details
     from audit_logs where tenant_id = $1 and request_type like 'license%' order by timestamp, request_type`,
    [tenantId],
  );

async function purchase() {
  const tenant = await registerTenant();
  const event = checkoutEvent({ tenantId: tenant.tenant_id, email: "buyer@example.com" });
  const issued = (await (await deliver(event)).json()) as { license_id: string; token: string };
  const object = event.data.object as { id: string; payment_intent: string };
  return { tenant, event, issued, sessionId: object.id, paymentIntentId: object.payment_intent };
}

describe("license audit rows", () => {
  it("issuance writes one license_issued row (never the token), and replays add none", async () => {
    const p = await purchase();
    await deliver(p.event);
    const rows = await licenseRows(p.tenant.tenant_id);
    expect(rows).toHaveLength(1);
    const [row] = rows as [AuditRow];
    const [expiry] = await superuser<{ day: string }>(
      "select to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD') as day from plugin_user_licenses where license_id = $1",
      [p.issued.license_id],
    );
    expect(row).toMatchObject({
      id: expect.stringMatching(/^audit_[0-9a-f-]{36}$/),
      request_id: p.sessionId,
      client_id: p.tenant.tenant_id,
      org_id: p.tenant.tenant_id,
      request_type: "license_issued",
      query: `Pro license issued, valid until ${expiry?.day}`,
      policy_decision: "license_lifecycle",
      policy_details: {
        license_id: p.issued.license_id,
        tier: "Pro",
        stripe_session_id: p.sessionId,
        replaced_previous: false,
      },
    });
    expect(row.query_hash).toBe(await sha256Hex(row.query));
    expect(JSON.stringify(row)).not.toContain(p.issued.token);
  });

  it("a full refund writes one license_revoked_full_refund row; its replay writes none", async () => {
    const p = await purchase();
    const refund = refundEvent({ paymentIntentId: p.paymentIntentId });
    await deliver(refund);
    await deliver(refund);
    const rows = await licenseRows(p.tenant.tenant_id);
    expect(rows.map((r) => r.request_type)).toEqual(["license_issued", "license_revoked_full_refund"]);
    const revoked = rows[1] as AuditRow;
    expect(revoked).toMatchObject({
      id: expect.stringMatching(/^audit_[0-9a-f-]{36}$/),
      request_id: p.sessionId,
      client_id: p.tenant.tenant_id,
      org_id: p.tenant.tenant_id,
      query: "Pro license revoked: full refund",
      policy_decision: "license_lifecycle",
      policy_details: {
        license_id: p.issued.license_id,
        tier: "Pro",
        stripe_session_id: p.sessionId,
        revocation_reason: "full_refund",
        charge_id: (refund.data.object as { id: string }).id,
      },
    });
    expect(revoked.query_hash).toBe(await sha256Hex(revoked.query));
  });

  it("a dispute writes license_revoked_dispute; a later refund or second dispute writes nothing", async () => {
    const p = await purchase();
    const dispute = disputeEvent({ paymentIntentId: p.paymentIntentId });
    await deliver(dispute);
    await deliver(dispute);
    await deliver(refundEvent({ paymentIntentId: p.paymentIntentId }));
    const rows = await licenseRows(p.tenant.tenant_id);
    expect(rows.map((r) => r.request_type)).toEqual(["license_issued", "license_revoked_dispute"]);
    expect(rows[1]).toMatchObject({
      query: "Pro license revoked: dispute",
      policy_details: { revocation_reason: "dispute", dispute_id: (dispute.data.object as { id: string }).id },
    });
  });

  it("a partial refund writes nothing", async () => {
    const p = await purchase();
    await deliver(refundEvent({ paymentIntentId: p.paymentIntentId, amountRefunded: 100 }));
    expect((await licenseRows(p.tenant.tenant_id)).map((r) => r.request_type)).toEqual(["license_issued"]);
  });

  it("a refund that arrives before the checkout is recorded when the license is born revoked", async () => {
    const tenant = await registerTenant();
    const paymentIntentId = `pi_early_${crypto.randomUUID()}`;
    await deliver(refundEvent({ paymentIntentId }));
    const event = checkoutEvent({ tenantId: tenant.tenant_id, email: "buyer@example.com", paymentIntentId });
    expect(((await (await deliver(event)).json()) as { status: string }).status).toBe("skipped");
    await deliver(event);
    const rows = await licenseRows(tenant.tenant_id);
    expect(rows.map((r) => r.request_type)).toEqual(["license_issued", "license_revoked_full_refund"]);
    expect(rows[1]).toMatchObject({
      query: "Pro license revoked: full refund",
      policy_details: { revocation_reason: "full_refund", revoked_before_issuance: true },
    });
  });

  it("a second purchase notes the replaced license", async () => {
    const p = await purchase();
    await deliver(checkoutEvent({ tenantId: p.tenant.tenant_id, email: "buyer@example.com" }));
    const rows = await licenseRows(p.tenant.tenant_id);
    expect(rows.map((r) => [r.request_type, r.policy_details.replaced_previous])).toEqual([
      ["license_issued", false],
      ["license_issued", true],
    ]);
  });
});
