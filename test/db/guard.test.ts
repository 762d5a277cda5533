import { describe, expect, inject, it } from "vitest";
import { callWithEnv, expectErrorA } from "../support/http";

const probe = { method: "POST", headers: { "Content-Type": "application/json", "CF-Connecting-IP": "127.30.0.1" } };

// The tenant gate's own guard (governed routes) is tested in test/limits/tenant-gate.test.ts.
describe("refuse-to-serve guard", () => {
  it("answers 503 on DB-backed routes when the app-role URL is missing", async () => {
    await expectErrorA(
      await callWithEnv({ AXONFLOW_DB_APP_ROLE_URL: "" }, "/api/v1/register", probe),
      503,
      "Service temporarily unavailable",
    );
  });

  it("answers 503 when the app-role URL connects as a role that bypasses RLS", async () => {
    const bypassing = { AXONFLOW_DB_APP_ROLE_URL: inject("platformAdminUrl") };
    await expectErrorA(await callWithEnv(bypassing, "/api/v1/register", probe), 503, "Service temporarily unavailable");
    await expectErrorA(
      await callWithEnv({ AXONFLOW_DB_APP_ROLE_URL: inject("superuserUrl") }, "/api/v1/register", probe),
      503,
      "Service temporarily unavailable",
    );
  });

  it("keeps serving /health, which needs no database", async () => {
    const response = await callWithEnv({ AXONFLOW_DB_APP_ROLE_URL: "" }, "/health");
    expect(response.status).toBe(200);
  });

  it("answers 503 when the database cannot be reached", async () => {
    const unreachable = {
      AXONFLOW_DB_APP_ROLE_URL: "postgres://axonflow_app_role:x@127.0.0.1:1/axonflow",
      NEON_WS_PROXY: "127.0.0.1:1",
    };
    await expectErrorA(
      await callWithEnv(unreachable, "/api/v1/register", probe),
      503,
      "Service temporarily unavailable",
    );
  });

  it("refuses everything but names the variable when the configuration is malformed", async () => {
    const response = await callWithEnv({ AXONFLOW_SECRET_PEPPER: "  " }, "/api/v1/register", probe);
    await expectErrorA(response, 503, "Service temporarily unavailable");
  });
});
