import type { IpLimiterRpc } from "./rpc/ip-limiter";
import type { TenantGateRpc } from "./rpc/tenant-gate";

/**
 * Bindings the Worker reads. Every value arrives as a string (wrangler vars / secrets) and is
 * parsed once per isolate by src/config.ts; nothing else reads `env` directly.
 */
export interface Env {
  /** TenantGate (src/limits/tenant-gate.ts), typed by its RPC contract so this file needs no class. */
  TENANT_GATE: DurableObjectNamespace<TenantGateRpc>;
  /** IpLimiter (src/limits/ip-limiter.ts), likewise. */
  IP_LIMITER: DurableObjectNamespace<IpLimiterRpc>;
  /**
   * The billing Worker (`BillingService` in src/billing-worker.ts). The public Worker forwards
   * `/api/v1/billing/*` to it and asks it to delete a Stripe customer after an erasure; absent, both
   * are off. Only the billing Worker holds Stripe keys and bundles the Stripe SDK.
   */
  BILLING?: BillingBinding;
  /** Postgres URL of `axonflow_app_role` (NOBYPASSRLS); request code connects only with this. */
  AXONFLOW_DB_APP_ROLE_URL?: string;
  /** Postgres URL of `axonflow_platform_admin` (BYPASSRLS); cron jobs only. */
  AXONFLOW_DB_PLATFORM_ADMIN_URL?: string;
  /** Local dev and tests only: `host:port` of the WebSocket→TCP proxy standing in for Neon's. */
  NEON_WS_PROXY?: string;
  /** HMAC key for tenant secrets (`hmac-sha256$…`). */
  AXONFLOW_SECRET_PEPPER?: string;
  COMMUNITY_SAAS_REGISTRATION_ENABLED?: string;
  COMMUNITY_SAAS_SWEEP_ENABLED?: string;
  COMMUNITY_SAAS_SWEEP_DRYRUN?: string;
  COMMUNITY_SAAS_MINUTE_LIMIT?: string;
  COMMUNITY_SAAS_MINUTE_LIMIT_FREE?: string;
  COMMUNITY_SAAS_MINUTE_LIMIT_PRO?: string;
  COMMUNITY_SAAS_DAILY_LIMIT?: string;
  AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN?: string;
  SQLI_ACTION?: string;
  AXONFLOW_USAGE_FLUSH_SECONDS?: string;
  AXONFLOW_DB_TIMEOUT_MS?: string;
  AXONFLOW_EXPOSE_REQUEST_COST?: string;
  AXONFLOW_PUBLIC_ENDPOINT?: string;
  AXONFLOW_PLATFORM_VERSION?: string;
  AXONFLOW_ORCHESTRATOR_URL?: string;
  AXONFLOW_HEALTH_COMPATIBILITY?: string;
  AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY?: string;
  AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY?: string;
  AXONFLOW_DEPLOYMENT_ID?: string;
  STRIPE_WEBHOOK_SIGNING_SECRET?: string;
  AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST?: string;
  AXONFLOW_BILLING_PRO_VALIDITY_DAYS?: string;
  AXONFLOW_BILLING_FROM_EMAIL?: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  /** Origin of the recovery link (platform.md §6.1); default https://try.getaxonflow.com. */
  AXONFLOW_RECOVERY_BASE_URL?: string;
  AXONFLOW_RECOVERY_FROM_EMAIL?: string;
  /** Origin of the delete-confirm URL in the erasure mail (platform.md §7.1). */
  AXONFLOW_DELETE_BASE_URL?: string;
  AXONFLOW_DELETE_FROM_EMAIL?: string;
  /** HMAC key for erasure tokens (platform.md §7.1). */
  AXONFLOW_TENANT_DELETE_TOKEN_PEPPER?: string;
  /** Billing Worker: Stripe API key; erasure deletes the tenant's Stripe customer when set. */
  STRIPE_SECRET_KEY?: string;
  /** Tests and local dev only: `http://127.0.0.1:<port>` of a Stripe API stand-in. */
  STRIPE_API_BASE_URL?: string;
}

/** The string variables of Env (what src/config.ts parses). */
export type EnvVars = Omit<Env, "TENANT_GATE" | "IP_LIMITER" | "BILLING">;

/** What a Stripe customer deletion came to: `error` is Stripe's message (or "timeout"), never the key. */
export type StripeArchiveOutcome = { ok: true } | { ok: false; error: string };

/** The billing Worker's entrypoint as the public Worker sees it: HTTP forwarding plus one RPC method. */
export interface BillingBinding extends Fetcher {
  /**
   * Deletes the customer within `timeoutMs`; `null` when the billing Worker has no
   * STRIPE_SECRET_KEY (nothing attempted).
   */
  archiveStripeCustomer(customerId: string, timeoutMs: number): Promise<StripeArchiveOutcome | null>;
}
