// Realistic Stripe webhook events for local testing (npm run stripe:send) and the test suite.
// Shapes follow Stripe's API objects; only ids and amounts vary.
const now = () => Math.floor(Date.now() / 1000);
const id = (prefix) => `${prefix}_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;

function envelope(type, object) {
  return {
    id: id("evt"),
    object: "event",
    api_version: "2025-10-29.clover",
    created: now(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** checkout.session.completed (or async_payment_succeeded) for a Plugin Pro purchase. */
export function checkoutEvent({
  tenantId,
  email,
  sessionId = id("cs"),
  paymentIntentId = id("pi"),
  customerId = id("cus"),
  paymentStatus = "paid",
  type = "checkout.session.completed",
}) {
  return envelope(type, {
    id: sessionId,
    object: "checkout.session",
    amount_subtotal: 999,
    amount_total: 999,
    currency: "usd",
    customer: customerId,
    customer_email: null,
    customer_details: { email, name: "Test Buyer", address: { country: "US" } },
    custom_fields: [
      {
        key: "tenantid",
        label: { custom: "tenant_id", type: "custom" },
        optional: false,
        type: "text",
        text: { default_value: null, maximum_length: null, minimum_length: null, value: tenantId },
      },
    ],
    livemode: false,
    metadata: {},
    mode: "payment",
    payment_intent: paymentIntentId,
    payment_status: paymentStatus,
    status: "complete",
  });
}

/** charge.refunded: full by default; pass amountRefunded < 999 for a partial one. */
export function refundEvent({
  paymentIntentId,
  chargeId = id("ch"),
  amount = 999,
  amountRefunded = amount,
  refundStatus = "succeeded",
}) {
  return envelope("charge.refunded", {
    id: chargeId,
    object: "charge",
    amount,
    amount_captured: amount,
    amount_refunded: amountRefunded,
    currency: "usd",
    payment_intent: paymentIntentId,
    paid: true,
    refunded: amountRefunded >= amount && refundStatus === "succeeded",
    metadata: {},
    refunds: {
      object: "list",
      data: [{ id: id("re"), object: "refund", amount: amountRefunded, status: refundStatus, charge: chargeId }],
      has_more: false,
    },
  });
}

/** charge.dispute.created (or .closed with a status). */
export function disputeEvent({
  paymentIntentId,
  chargeId = id("ch"),
  disputeId = id("dp"),
  type = "charge.dispute.created",
  status = "needs_response",
}) {
  return envelope(type, {
    id: disputeId,
    object: "dispute",
    amount: 999,
    charge: chargeId,
    currency: "usd",
    payment_intent: paymentIntentId,
    reason: "fraudulent",
    status,
  });
}
