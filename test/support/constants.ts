/** Test-only pepper handed to the Worker as AXONFLOW_SECRET_PEPPER (vitest.config.ts). */
export const TEST_PEPPER = "test-pepper-0123456789abcdef";
