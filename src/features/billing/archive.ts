/**
 * After an erasure: delete ("archive") the tenant's Stripe customer (platform.md §7.2). The billing
 * Worker runs it for the public Worker over the BILLING service binding, so only the billing Worker
 * holds STRIPE_SECRET_KEY and bundles the Stripe SDK. Best effort and bounded; errors are reported
 * without the API key.
 */
import type { StripeArchiveOutcome as ArchiveOutcome } from "../../env";
import { withTimeout } from "../../time";

/** What archiveStripeCustomer needs; the key is used for the one call and never logged. */
export interface ArchiveOptions {
  secretKey: string;
  customerId: string;
  timeoutMs: number;
  /** Tests and local dev: origin of a Stripe API stand-in (`http://127.0.0.1:<port>`). */
  apiBaseUrl?: string;
}

/** Deletes the customer; a customer Stripe no longer knows counts as a failure with its message. */
export async function archiveStripeCustomer(options: ArchiveOptions): Promise<ArchiveOutcome> {
  const { secretKey, customerId, timeoutMs, apiBaseUrl } = options;
  const attempt = (async (): Promise<ArchiveOutcome> => {
    const { default: Stripe } = await import("stripe");
    const target = apiBaseUrl ? new URL(apiBaseUrl) : undefined;
    const stripe = new Stripe(secretKey, {
      maxNetworkRetries: 0,
      timeout: timeoutMs,
      httpClient: Stripe.createFetchHttpClient(),
      ...(target
        ? {
            host: target.hostname,
            port: target.port || (target.protocol === "http:" ? 80 : 443),
            protocol: target.protocol === "http:" ? ("http" as const) : ("https" as const),
          }
        : {}),
    });
    const deleted = await stripe.customers.del(customerId);
    return deleted.deleted ? { ok: true } : { ok: false, error: "customer not deleted" };
  })().catch((error: unknown): ArchiveOutcome => ({ ok: false, error: redact(error, secretKey) }));
  return withTimeout(attempt, timeoutMs, (): ArchiveOutcome => ({ ok: false, error: "timeout" }));
}

/** Stripe's error message, with the key cut out should an error ever quote it. */
function redact(error: unknown, secretKey: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message || "stripe error").split(secretKey).join("[redacted]").slice(0, 500);
}
