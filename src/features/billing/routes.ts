/**
 * POST /api/v1/billing/stripe-webhook (platform.md §3). Mounted only when
 * STRIPE_WEBHOOK_SIGNING_SECRET is set. Guard chain, in order: method (405) → source-IP
 * allow-list (403) → per-IP rate (429) → body size (413, before the signature) → signature (401)
 * → event JSON (400). Errors are plain text (shape C) as Stripe's dashboard shows them.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import { readBodyText } from "../../http/body";
import { clientIp } from "../../http/client-ip";
import type { AppEnv } from "../../http/context";
import { withRequestDatabase } from "../../http/database";
import { errorC } from "../../http/errors";
import { errorMessage, maskEmail } from "../../http/log";
import { invalidateTenantGate } from "../../limits/gate-client";
import { consumeIpBudget, stripeWebhookBudget } from "../../limits/ip-limiter";
import { sendMailLater } from "../../mail/background";
import { licenseEmail } from "../../mail/license-email";
import { rfc3339 } from "../../time";
import { STRIPE_WEBHOOK_PATH } from "./docs";
import { buyerEmailOf, charge, checkoutSession, dispute, isFullRefund, stripeEvent, tenantIdOf } from "./events";
import { fulfilCheckout, tokenForRow } from "./fulfil";
import { type PaymentRevocationReason, revokePayment, sessionForPayment } from "./revoke";
import { verifyStripeSignature } from "./signature";

const MAX_BODY_BYTES = 65_536;

type EventObject = Record<string, unknown>;
type Handler = (c: Context<AppEnv>, object: EventObject) => Promise<Response>;

const json = (c: Context<AppEnv>, body: unknown, headers?: Record<string, string>) => c.json(body, 200, headers);

/** Runs `fn` with the app-role connection; a refused or unreachable database is a 503 Stripe retries. */
async function withDb(c: Context<AppEnv>, fn: Parameters<typeof withRequestDatabase>[1]): Promise<Response> {
  const response = await withRequestDatabase(c, fn, () => errorC(c, 503, "service unavailable"));
  return response ?? errorC(c, 500, "internal error");
}

async function invalidateAll(c: Context<AppEnv>, tenants: string[]): Promise<void> {
  for (const tenant of tenants) {
    if (!(await invalidateTenantGate(c.env, tenant))) {
      c.var.log.log("warn", "gate_invalidate_failed", { tenantId: tenant });
    }
  }
}

/** checkout.session.completed and checkout.session.async_payment_succeeded (§3.3). */
const fulfil: Handler = async (c, object) => {
  const parsed = checkoutSession.safeParse(object);
  if (!parsed.success) return errorC(c, 400, "bad checkout session payload");
  const session = parsed.data;
  if (session.payment_status !== "paid") {
    return json(c, { status: "skipped", reason: "payment_status not 'paid'", session: session.id });
  }
  const tenantId = tenantIdOf(session);
  if (!tenantId) return errorC(c, 400, "missing tenant_id (neither metadata nor custom_fields)");
  const email = buyerEmailOf(session);
  if (!email) return errorC(c, 400, "missing customer_email");

  const { config, log } = c.var;
  const keyring = config.keyring;
  if (!keyring?.canMint) {
    log.log("error", "license_issue_failed", {
      reason: "signing_failed",
      session: session.id,
      detail: "no signing key",
    });
    return errorC(c, 500, "license issue failed");
  }

  return withDb(c, async (db) => {
    let outcome: Awaited<ReturnType<typeof fulfilCheckout>>;
    try {
      outcome = await fulfilCheckout(
        db,
        {
          tenantId,
          email,
          sessionId: session.id,
          customerId: session.customer ?? null,
          paymentIntentId: session.payment_intent ?? null,
        },
        { validityDays: config.AXONFLOW_BILLING_PRO_VALIDITY_DAYS, nowMs: Date.now() },
      );
    } catch (error) {
      log.log("error", "license_issue_failed", { reason: "db", session: session.id, error: errorMessage(error) });
      return errorC(c, 500, "license issue failed");
    }
    if (outcome.kind === "unknown_tenant") {
      // A 4xx stops Stripe retrying a delivery that can never succeed; support takes it from here.
      log.log("error", "paid_but_no_token_issued", { tenantId, session: session.id, email: maskEmail(email) });
      return errorC(c, 400, "unknown tenant_id");
    }

    const { row } = outcome;
    const revokedByPayment =
      row.revoked && (row.revocation_reason === "full_refund" || row.revocation_reason === "dispute");
    if (revokedByPayment) {
      log.log("info", "license_born_revoked", { tenantId, session: session.id, reason: row.revocation_reason ?? "" });
      return json(c, {
        status: "skipped",
        reason: `payment already ${row.revocation_reason === "dispute" ? "disputed" : "refunded"} — license revoked`,
        session: session.id,
      });
    }
    if (outcome.replacedPrevious) await invalidateAll(c, [tenantId]);

    const token = await tokenForRow(row, keyring, config.AXONFLOW_DEPLOYMENT_ID);
    log.log("info", "license_issued", {
      tenantId,
      licenseId: row.license_id,
      session: session.id,
      replay: outcome.replay,
    });
    if (outcome.first) log.log("info", "first_paid_license_issued", { tenantId, licenseId: row.license_id });

    sendMailLater(
      c,
      licenseEmail({ from: config.AXONFLOW_BILLING_FROM_EMAIL, to: row.claimed_by_email, token }),
      "license_email",
      { tenantId, licenseId: row.license_id },
    );

    return json(
      c,
      {
        status: "issued",
        license_id: row.license_id,
        jti: row.license_token_jti,
        token,
        tenant_id: row.tenant_id,
        tier: row.tier,
        issued_at: rfc3339(row.issued_at),
      },
      { "X-Sensitive-Body": "token" },
    );
  });
};

/** Revokes the payment's license for a full refund or a dispute; replays land on no_op. */
function revokeFor(
  c: Context<AppEnv>,
  paymentIntentId: string,
  reason: PaymentRevocationReason,
  ids: { chargeId: string; disputeId: string | null },
  answers: { failure: string; revokedExtra?: Record<string, unknown> },
): Promise<Response> {
  return withDb(c, async (db) => {
    let result: Awaited<ReturnType<typeof revokePayment>>;
    try {
      result = await revokePayment(db, paymentIntentId, reason, ids);
    } catch (error) {
      c.var.log.log("error", "license_revoke_failed", { reason, charge: ids.chargeId, error: errorMessage(error) });
      return errorC(c, 500, answers.failure);
    }
    const session = result.sessionId ?? paymentIntentId;
    const extra = ids.disputeId ? { dispute: ids.disputeId } : {};
    if (result.revokedTenants.length === 0) {
      c.var.log.log("info", reason === "dispute" ? "dispute_already_revoked" : "refund_already_revoked", {
        session,
        charge: ids.chargeId,
      });
      return json(c, {
        status: "no_op",
        reason: "license already revoked or absent",
        session,
        charge: ids.chargeId,
        ...extra,
      });
    }
    await invalidateAll(c, result.revokedTenants);
    c.var.log.log("info", reason === "dispute" ? "license_revoked_on_dispute" : "license_revoked_on_refund", {
      session,
      charge: ids.chargeId,
      tenantId: result.revokedTenants.join(","),
    });
    return json(c, { status: "revoked", reason, session, charge: ids.chargeId, ...extra, ...answers.revokedExtra });
  });
}

/** charge.refunded (§3.4): full refunds revoke, partial or pending ones keep the license. */
const refund: Handler = async (c, object) => {
  const parsed = charge.safeParse(object);
  if (!parsed.success) return errorC(c, 400, "bad charge.refunded payload");
  const ch = parsed.data;
  const paymentIntentId = ch.payment_intent?.trim() ?? "";
  if (!paymentIntentId) return json(c, { status: "skipped", reason: "no payment_intent on charge", charge: ch.id });
  if (!isFullRefund(ch)) {
    return withDb(c, async (db) => {
      const session = (await sessionForPayment(db, paymentIntentId).catch(() => null)) ?? paymentIntentId;
      c.var.log.log("info", "partial_refund_no_op", { session, charge: ch.id });
      return json(c, {
        status: "skipped",
        reason: "partial refund — license retained",
        session,
        charge: ch.id,
        amount: ch.amount,
        amount_refunded: ch.amount_refunded,
      });
    });
  }
  return revokeFor(
    c,
    paymentIntentId,
    "full_refund",
    { chargeId: ch.id, disputeId: null },
    { failure: "refund revoke failed", revokedExtra: { amount_refunded: ch.amount_refunded } },
  );
};

/** charge.dispute.created: revokes like a full refund, with reason "dispute" (decisions.md). */
const disputeCreated: Handler = async (c, object) => {
  const parsed = dispute.safeParse(object);
  if (!parsed.success) return errorC(c, 400, "bad charge.dispute.created payload");
  const dp = parsed.data;
  const paymentIntentId = dp.payment_intent?.trim() ?? "";
  if (!paymentIntentId) {
    return json(c, {
      status: "skipped",
      reason: "no payment_intent on dispute",
      charge: dp.charge ?? "",
      dispute: dp.id,
    });
  }
  return revokeFor(
    c,
    paymentIntentId,
    "dispute",
    { chargeId: dp.charge ?? "", disputeId: dp.id },
    { failure: "dispute revoke failed" },
  );
};

const HANDLERS: Record<string, Handler> = {
  "checkout.session.completed": fulfil,
  "checkout.session.async_payment_succeeded": fulfil,
  "charge.refunded": refund,
  "charge.dispute.created": disputeCreated,
};

export function billingRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post(STRIPE_WEBHOOK_PATH, async (c) => {
    const { config } = c.var;
    const ip = clientIp(c);
    if (!config.AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST.allows(ip)) return errorC(c, 403, "source IP not allowed");
    const budget = await consumeIpBudget(c.env, stripeWebhookBudget(config.AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN), ip);
    if (!budget.allowed) return errorC(c, 429, "rate limit exceeded");

    const body = await readBodyText(c, MAX_BODY_BYTES);
    if (body.kind === "too_large") return errorC(c, 413, "request too large");
    if (body.kind === "read_error") return errorC(c, 400, "bad request");

    const secret = config.STRIPE_WEBHOOK_SIGNING_SECRET ?? "";
    if (!(await verifyStripeSignature(body.text, c.req.header("Stripe-Signature"), secret, Date.now()))) {
      return errorC(c, 401, "signature invalid");
    }
    let event: ReturnType<typeof stripeEvent.parse>;
    try {
      const parsed = stripeEvent.safeParse(JSON.parse(body.text));
      if (!parsed.success) return errorC(c, 400, "bad request");
      event = parsed.data;
    } catch {
      return errorC(c, 400, "bad request");
    }

    c.set("log", c.var.log.with({ stripeEvent: event.id, stripeType: event.type }));
    const handler = HANDLERS[event.type];
    if (handler) return handler(c, event.data.object);
    if (event.type === "charge.dispute.closed") {
      const status = typeof event.data.object.status === "string" ? event.data.object.status : "";
      c.var.log.log("info", "dispute_closed", { status, dispute: String(event.data.object.id ?? "") });
    }
    return json(c, { status: "ignored", reason: "event type not handled", type: event.type, id: event.id });
  });

  app.all(STRIPE_WEBHOOK_PATH, (c) => errorC(c, 405, "method not allowed"));
  return app;
}
