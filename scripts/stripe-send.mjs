// npm run stripe:send -- checkout --tenant <id> --email <e> [--session cs_…] [--payment-intent pi_…] [--async]
//                     -- refund --payment-intent pi_… [--partial] [--pending]
//                     -- dispute --payment-intent pi_… [--closed]
// Builds a realistic event, signs it with STRIPE_WEBHOOK_SIGNING_SECRET (env, else .dev.vars) using
// the stripe SDK's test-header helper, and posts it to the local Worker (WEBHOOK_URL, default
// http://127.0.0.1:8787/api/v1/billing/stripe-webhook). Prints the status and the response.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Stripe from "stripe";
import { parseDevVars } from "./dev-vars.mjs";
import { checkoutEvent, disputeEvent, refundEvent } from "./stripe-events.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const usage = `usage: npm run stripe:send -- checkout --tenant <id> --email <e> [--session cs_…] [--payment-intent pi_…] [--async]
       npm run stripe:send -- refund --payment-intent pi_… [--partial | --pending]
       npm run stripe:send -- dispute --payment-intent pi_… [--closed]`;

function fail(message) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        tenant: { type: "string" },
        email: { type: "string" },
        session: { type: "string" },
        "payment-intent": { type: "string" },
        async: { type: "boolean" },
        partial: { type: "boolean" },
        pending: { type: "boolean" },
        full: { type: "boolean" },
        closed: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    return fail(error.message);
  }
})();
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const pi = values["payment-intent"];
let event;
switch (positionals[0]) {
  case "checkout":
    if (!values.tenant || !values.email) fail("checkout needs --tenant and --email");
    event = checkoutEvent({
      tenantId: values.tenant,
      email: values.email,
      ...(values.session ? { sessionId: values.session } : {}),
      ...(pi ? { paymentIntentId: pi } : {}),
      ...(values.async ? { type: "checkout.session.async_payment_succeeded" } : {}),
    });
    break;
  case "refund":
    if (!pi) fail("refund needs --payment-intent");
    event = refundEvent({
      paymentIntentId: pi,
      ...(values.partial ? { amountRefunded: 500 } : {}),
      ...(values.pending ? { refundStatus: "pending" } : {}),
    });
    break;
  case "dispute":
    if (!pi) fail("dispute needs --payment-intent");
    event = disputeEvent({
      paymentIntentId: pi,
      ...(values.closed ? { type: "charge.dispute.closed", status: "won" } : {}),
    });
    break;
  default:
    fail(`unknown event kind ${JSON.stringify(positionals[0] ?? "")}`);
}

let secret = process.env.STRIPE_WEBHOOK_SIGNING_SECRET?.trim();
if (!secret) {
  try {
    secret = parseDevVars(await readFile(path.join(root, ".dev.vars"), "utf8")).STRIPE_WEBHOOK_SIGNING_SECRET;
  } catch {
    // reported below
  }
}
if (!secret) fail("no STRIPE_WEBHOOK_SIGNING_SECRET in the environment or .dev.vars (run npm run dev once)");

const payload = JSON.stringify(event);
const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
  payload,
  secret,
  cryptoProvider: Stripe.createSubtleCryptoProvider(),
});
const url = process.env.WEBHOOK_URL ?? "http://127.0.0.1:8787/api/v1/billing/stripe-webhook";
const response = await fetch(url, {
  method: "POST",
  headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
  body: payload,
});
console.error(
  `${event.type} ${event.data.object.id}${pi ? "" : ` (payment_intent ${event.data.object.payment_intent ?? "-"})`}`,
);
console.log(`HTTP ${response.status}`);
console.log(await response.text());
process.exit(response.ok ? 0 : 1);
