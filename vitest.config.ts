import { generateKeyPairSync } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { kCurrentWorker } from "miniflare";
import { defineConfig } from "vitest/config";
import { STRIPE_TEST_SECRET, TEST_PEPPER } from "./test/support/constants.ts";

// A fresh license key pair per test run (the raw 32 bytes sit at the end of the DER encodings).
const licenseKeys = generateKeyPairSync("ed25519");
const seed = licenseKeys.privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32).toString("base64");
const publicKey = licenseKeys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./test/support/worker.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // wrangler.toml binds BILLING to the billing Worker; test/support/worker.ts exports its entrypoint.
        serviceBindings: { BILLING: { name: kCurrentWorker, entrypoint: "BillingService" } },
        bindings: {
          AXONFLOW_DB_APP_ROLE_URL: inject("appRoleUrl"),
          AXONFLOW_DB_PLATFORM_ADMIN_URL: inject("platformAdminUrl"),
          NEON_WS_PROXY: inject("wsProxy"),
          AXONFLOW_SECRET_PEPPER: TEST_PEPPER,
          AXONFLOW_PUBLIC_ENDPOINT: "http://127.0.0.1:8787",
          COMMUNITY_SAAS_REGISTRATION_ENABLED: "true",
          AXONFLOW_EXPOSE_REQUEST_COST: "true",
          AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY: seed,
          AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY: publicKey,
          STRIPE_WEBHOOK_SIGNING_SECRET: STRIPE_TEST_SECRET,
          AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: "127.0.0.0/8",
          RESEND_API_KEY: "re_test",
          RESEND_BASE_URL: inject("mailUrl"),
          STRIPE_SECRET_KEY: "sk_test_vitest_stand_in",
          STRIPE_API_BASE_URL: inject("stripeUrl"),
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    // Vitest's default on 2 cores is one worker; the suite waits on Postgres often enough that two
    // files at once finish about 10% sooner.
    maxWorkers: 2,
    // Info-level request logs would bury failures; warnings and errors still print.
    onConsoleLog: (line) => !line.includes('"level":"info"'),
    hookTimeout: 30_000,
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: [
            "drizzle-orm",
            "@neondatabase/serverless",
            "hono",
            "zod",
            "@hono/zod-openapi",
            "@hono/zod-validator",
            "@scalar/hono-api-reference",
            "re2js",
            "resend",
            "stripe",
            "ipaddr.js",
          ],
        },
      },
    },
  },
});
