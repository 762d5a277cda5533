/** charge.refunded and disputes (platform.md §3.4, decisions.md). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkoutEvent, disputeEvent, refundEvent } from "../../../scripts/stripe-events.mjs";
import { superuser } from "../../support/db";
import { basic, call, expectErrorA, registerTenant } from "../../support/http";
import { deliver } from "../../support/stripe";

interface Purchase {
  tenant: { tenant_id: string; secret: string };
  sessionId: string;
  paymentIntentId: string;
  token: string;
}

async function purchase(): Promise<Purchase> {
  const tenant = await registerTenant();
  const event = checkoutEvent({ tenantId: tenant.tenant_id, email: "buyer@example.com" });
  const body = (await (await deliver(event)).json()) as { token: string };
  const object = event.data.object as { id: string; payment_intent: string };
  return { tenant, sessionId: object.id, paymentIntentId: object.payment_intent, token: body.token };
}

const explainWith = (p: Purchase, token?: string) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: {
      Authorization: basic(p.tenant.tenant_id, p.tenant.secret),
      "X-Axonflow-Client": "codex-plugin/1.7.0",
      ...(token ? { "X-License-Token": token } : {}),
    },
  });

describe("charge.refunded", () => {
  it("revokes on a full refund, visible on the next request, and is a no_op on replay", async () => {
    const p = await purchase();
    expect((await explainWith(p, p.token)).status).toBe(200);
    const refund = refundEvent({ paymentIntentId: p.paymentIntentId });
    const chargeId = (refund.data.object as { id: string }).id;
    expect(await (await deliver(refund)).json()).toEqual({
      status: "revoked",
      reason: "full_refund",
      session: p.sessionId,
      charge: chargeId,
      amount_refunded: 999,
    });
    await expectErrorA(await explainWith(p, p.token), 401, "license_not_found_or_revoked");
    // Without the token the tenant is simply Free again.
    expect(((await (await explainWith(p)).json()) as { tier: string }).tier).toBe("Free");
    expect(await (await deliver(refund)).json()).toEqual({
      status: "no_op",
      reason: "license already revoked or absent",
      session: p.sessionId,
      charge: chargeId,
    });
    const [row] = await superuser<{ revocation_reason: string }>(
      "select revocation_reason from plugin_user_licenses where stripe_session_id = $1",
      [p.sessionId],
    );
    expect(row?.revocation_reason).toBe("full_refund");
  });

  it("keeps the license on partial and pending refunds", async () => {
    const p = await purchase();
    const partial = refundEvent({ paymentIntentId: p.paymentIntentId, amountRefunded: 500 });
    expect(await (await deliver(partial)).json()).toEqual({
      status: "skipped",
      reason: "partial refund — license retained",
      session: p.sessionId,
      charge: (partial.data.object as { id: string }).id,
      amount: 999,
      amount_refunded: 500,
    });
    const pending = refundEvent({ paymentIntentId: p.paymentIntentId, refundStatus: "pending" });
    expect(((await (await deliver(pending)).json()) as { status: string }).status).toBe("skipped");
    expect((await explainWith(p, p.token)).status).toBe(200);
  });

  it("skips a charge without a payment intent, naming the payment intent when no license matches", async () => {
    const noPi = refundEvent({ paymentIntentId: "" });
    expect(await (await deliver(noPi)).json()).toEqual({
      status: "skipped",
      reason: "no payment_intent on charge",
      charge: (noPi.data.object as { id: string }).id,
    });
    const unknown = refundEvent({ paymentIntentId: "pi_unknown_partial", amountRefunded: 1 });
    expect(((await (await deliver(unknown)).json()) as { session: string }).session).toBe("pi_unknown_partial");
  });
});

describe("disputes", () => {
  it("revokes on charge.dispute.created, no_op on a second one, ignores charge.dispute.closed", async () => {
    const p = await purchase();
    const created = disputeEvent({ paymentIntentId: p.paymentIntentId });
    const object = created.data.object as { id: string; charge: string };
    expect(await (await deliver(created)).json()).toEqual({
      status: "revoked",
      reason: "dispute",
      session: p.sessionId,
      charge: object.charge,
      dispute: object.id,
    });
    await expectErrorA(await explainWith(p, p.token), 401, "license_not_found_or_revoked");
    expect(((await (await deliver(created)).json()) as { status: string }).status).toBe("no_op");
    const closed = disputeEvent({ paymentIntentId: p.paymentIntentId, type: "charge.dispute.closed", status: "won" });
    expect(await (await deliver(closed)).json()).toEqual({
      status: "ignored",
      reason: "event type not handled",
      type: "charge.dispute.closed",
      id: closed.id,
    });
    await expectErrorA(await explainWith(p, p.token), 401, "license_not_found_or_revoked");
  });
});

type Kind = "completed" | "async" | "refund" | "dispute";

describe("arrival order", () => {
  it.each([
    ["one after another", false],
    ["all at once", true],
  ])("ends in a state that depends only on which events occurred (%s)", async (_mode, concurrent) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Kind>("completed", "async", "refund", "dispute"), { minLength: 1, maxLength: 6 }),
        async (kinds) => {
          const tenant = await registerTenant();
          const sessionId = `cs_prop_${crypto.randomUUID()}`;
          const paymentIntentId = `pi_prop_${crypto.randomUUID()}`;
          const email = "prop@example.com";
          const events = {
            completed: checkoutEvent({ tenantId: tenant.tenant_id, email, sessionId, paymentIntentId }),
            async: checkoutEvent({
              tenantId: tenant.tenant_id,
              email,
              sessionId,
              paymentIntentId,
              type: "checkout.session.async_payment_succeeded",
            }),
            refund: refundEvent({ paymentIntentId }),
            dispute: disputeEvent({ paymentIntentId }),
          };
          if (concurrent) {
            const statuses = await Promise.all(kinds.map(async (kind) => (await deliver(events[kind])).status));
            expect(statuses.every((status) => status === 200)).toBe(true);
          } else {
            for (const kind of kinds) expect((await deliver(events[kind])).status).toBe(200);
          }

          const rows = await superuser<{ revoked: boolean; reason: string | null }>(
            "select revoked_at is not null as revoked, revocation_reason as reason from plugin_user_licenses where tenant_id = $1",
            [tenant.tenant_id],
          );
          const occurred = new Set(kinds);
          const issued = occurred.has("completed") || occurred.has("async");
          const revokedBy = occurred.has("dispute") ? "dispute" : occurred.has("refund") ? "full_refund" : null;
          expect(rows).toEqual(issued ? [{ revoked: revokedBy !== null, reason: revokedBy }] : []);
          // The tenant's audit trail: one issuance row, and one revocation row by whichever event revoked it.
          const audits = await superuser<{ request_type: string }>(
            "select request_type from audit_logs where tenant_id = $1 order by request_type",
            [tenant.tenant_id],
          );
          const revocations = audits.filter((a) => a.request_type.startsWith("license_revoked_"));
          expect(audits.length - revocations.length).toBe(issued ? 1 : 0);
          expect(revocations).toHaveLength(issued && revokedBy ? 1 : 0);
          for (const { request_type } of revocations) {
            expect(occurred.has(request_type === "license_revoked_dispute" ? "dispute" : "refund")).toBe(true);
          }
        },
      ),
      { numRuns: 10 },
    );
  });
});
