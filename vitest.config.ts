import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_PEPPER } from "./test/support/constants.ts";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          AXONFLOW_DB_APP_ROLE_URL: inject("appRoleUrl"),
          AXONFLOW_DB_PLATFORM_ADMIN_URL: inject("platformAdminUrl"),
          NEON_WS_PROXY: inject("wsProxy"),
          AXONFLOW_SECRET_PEPPER: TEST_PEPPER,
          AXONFLOW_PUBLIC_ENDPOINT: "http://127.0.0.1:8787",
          COMMUNITY_SAAS_REGISTRATION_ENABLED: "true",
          AXONFLOW_EXPOSE_REQUEST_COST: "true",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    // Info-level request logs would bury failures; warnings and errors still print.
    onConsoleLog: (line) => !line.includes('"level":"info"'),
    hookTimeout: 30_000,
    deps: {
      optimizer: {
        ssr: { include: ["drizzle-orm", "@neondatabase/serverless", "hono", "zod"] },
      },
    },
  },
});
