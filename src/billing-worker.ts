/**
 * The billing Worker (wrangler.billing.toml): the Stripe webhook, /health, and the Stripe customer
 * deletion the public Worker asks for after an erasure. In production it alone holds
 * AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY, the webhook secret and STRIPE_SECRET_KEY, and it alone
 * bundles the Stripe SDK. It is routed on `<host>/api/v1/billing/*` and bound to the public Worker
 * as BILLING (entrypoint `BillingService`); it reaches the public Worker's Durable Objects (rate
 * limits, gate invalidation) through script_name bindings.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { fetchHandler, type Surface } from "./app";
import { loadConfig } from "./config";
import type { BillingBinding, Env, StripeArchiveOutcome } from "./env";
import { archiveStripeCustomer } from "./features/billing/archive";
import { billingRoutes } from "./features/billing/routes";
import { capabilities } from "./features/health/capabilities";
import { healthRoutes } from "./features/health/routes";

/** /health, and the webhook where this deployment holds its secret (absent, 404: platform.md §3). */
export const billingSurface: Surface = {
  mount(app, config) {
    app.route("/", healthRoutes(capabilities({ recovery: false })));
    if (config.STRIPE_WEBHOOK_SIGNING_SECRET) app.route("/", billingRoutes());
  },
};

const handleFetch = fetchHandler(billingSurface);

/** What the public Worker's BILLING binding reaches: forwarded webhooks and the customer deletion. */
export class BillingService extends WorkerEntrypoint<Env> implements Pick<BillingBinding, "archiveStripeCustomer"> {
  override fetch(request: Request): Response | Promise<Response> {
    return handleFetch(request as Request<unknown, IncomingRequestCfProperties>, this.env, this.ctx);
  }

  async archiveStripeCustomer(customerId: string, timeoutMs: number): Promise<StripeArchiveOutcome | null> {
    const loaded = loadConfig(this.env);
    if (!loaded.ok || !loaded.config.STRIPE_SECRET_KEY) return null;
    return archiveStripeCustomer({
      secretKey: loaded.config.STRIPE_SECRET_KEY,
      customerId,
      timeoutMs,
      apiBaseUrl: loaded.config.STRIPE_API_BASE_URL,
    });
  }
}

export default {
  fetch: handleFetch,
} satisfies ExportedHandler<Env>;
