/**
 * The billing Worker (wrangler.billing.toml): only the Stripe webhook and /health. In production
 * it alone holds AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY and the webhook secret, routed on
 * `<host>/api/v1/billing/*`; the public Worker keeps only the public key (verifier-only). It uses
 * the public Worker's Durable Objects (rate limits, gate invalidation) through script_name bindings.
 */
import { fetchHandler } from "./app";
import type { Env } from "./env";

export default {
  fetch: fetchHandler("billing"),
} satisfies ExportedHandler<Env>;
