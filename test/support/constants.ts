/** Test-only pepper handed to the Worker as AXONFLOW_SECRET_PEPPER (vitest.config.ts). */
export const TEST_PEPPER = "test-pepper-0123456789abcdef";

/** Test-only Stripe webhook signing secret (STRIPE_WEBHOOK_SIGNING_SECRET). */
export const STRIPE_TEST_SECRET = "whsec_test_secret_for_vitest";
