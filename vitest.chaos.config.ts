// `npm run test:chaos`: load and fault tests in Node. The Workers run in workerd through
// miniflare's Node API (test/chaos/harness.ts) over a Postgres and a mail sink that the tests stop,
// freeze and restart (scripts/chaos-stack.mjs). Kept apart from `npm test` (test/**/*.test.ts).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/chaos/**/*.chaos.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    // Scenarios share one stack and run in order; each bounds its own waits well below these.
    testTimeout: 150_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
