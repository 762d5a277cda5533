/**
 * The webhook's OpenAPI declaration, apart from its handler: the public Worker documents the route
 * it forwards to the billing Worker without bundling the Stripe SDK the handler needs.
 */
import { z } from "zod";
import { createRoute, jsonResponse, type RouteDoc } from "../../http/openapi";

export const STRIPE_WEBHOOK_PATH = "/api/v1/billing/stripe-webhook";

const plainText = (description: string) => ({ description, content: { "text/plain": { schema: z.string() } } });

export const billingRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: STRIPE_WEBHOOK_PATH,
    summary: "Stripe webhook: license issuance, refund and dispute revocation",
    tags: ["Billing"],
    description:
      "Present only where STRIPE_WEBHOOK_SIGNING_SECRET is set. Authenticated by the Stripe-Signature header.",
    request: {
      body: {
        content: { "application/json": { schema: z.object({ id: z.string(), type: z.string() }).passthrough() } },
      },
    },
    responses: {
      200: jsonResponse(z.object({ status: z.string() }).passthrough(), "issued, revoked, no_op, skipped or ignored"),
      400: plainText("bad request, bad payload, missing tenant_id or customer_email, unknown tenant_id"),
      401: plainText("signature invalid"),
      403: plainText("source IP not allowed"),
      405: plainText("method not allowed"),
      413: plainText("request too large (64 KiB)"),
      429: plainText("rate limit exceeded"),
      500: plainText("license issue failed / refund revoke failed (Stripe retries)"),
    },
  }),
];
