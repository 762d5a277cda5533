/**
 * The Worker the tests run (vitest.config.ts `main`): the public Worker, plus the billing Worker's
 * entrypoint that its BILLING binding reaches. In production they are two Workers; here one
 * isolate holds both, so forwarded webhooks and Stripe archive calls run for real.
 */
export { BillingService } from "../../src/billing-worker";
export * from "../../src/index";
export { default } from "../../src/index";
