import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import Stripe from "stripe";
import { inject } from "vitest";
import type { StripeTestEvent } from "../../scripts/stripe-events.mjs";
import billingWorker from "../../src/billing-worker";
import type { Env } from "../../src/env";
import { STRIPE_TEST_SECRET } from "./constants";
import { BASE, randomLoopback } from "./http";

export const WEBHOOK = "/api/v1/billing/stripe-webhook";
const cryptoProvider = Stripe.createSubtleCryptoProvider();

export interface DeliveryOptions {
  ip?: string;
  secret?: string;
  /** Unix seconds of the signature (default: now). */
  timestamp?: number;
  /** Replaces the Stripe-Signature header entirely. */
  signature?: string;
  env?: Record<string, unknown>;
}

export async function signature(payload: string, secret = STRIPE_TEST_SECRET, timestamp?: number): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    cryptoProvider,
    ...(timestamp ? { timestamp } : {}),
  });
}

/** Posts a signed event (or raw text) to the webhook from a loopback address inside the allow-list. */
export async function deliver(event: StripeTestEvent | string, options: DeliveryOptions = {}): Promise<Response> {
  const payload = typeof event === "string" ? event : JSON.stringify(event);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "CF-Connecting-IP": options.ip ?? randomLoopback(),
    "Stripe-Signature": options.signature ?? (await signature(payload, options.secret, options.timestamp)),
  };
  const init = { method: "POST", headers, body: payload };
  return options.env ? callBillingWithEnv(options.env, WEBHOOK, init) : SELF.fetch(`${BASE}${WEBHOOK}`, init);
}

/** One request straight to the billing Worker with some bindings replaced (the public Worker's forward would use the binding's own env). */
export async function callBillingWithEnv(
  overrides: Record<string, unknown>,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>;
  const response = await billingWorker.fetch(request, { ...(env as Env), ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface SinkMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Messages the mail sink received for `to`, waiting up to `timeoutMs` for at least `count`. */
export async function mailTo(to: string, count = 1, timeoutMs = 5000): Promise<SinkMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = (await (await fetch(`${inject("mailUrl")}/emails`)).json()) as SinkMessage[];
    const mine = all.filter((m) => m.to.includes(to));
    if (mine.length >= count || Date.now() > deadline) return mine;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
