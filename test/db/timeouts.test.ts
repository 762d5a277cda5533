import { describe, expect, inject, it } from "vitest";
import { Database, DatabaseTimeout, DatabaseUnreachable, isDatabaseUnavailable } from "../../src/db/client";
import { basic, callWithEnv, expectErrorA, randomLoopback, registerTenant } from "../support/http";

const frozen = () => new Database({ url: inject("appRoleUrl"), wsProxy: inject("frozenWsProxy"), timeoutMs: 300 });
const live = (timeoutMs: number) =>
  new Database({ url: inject("superuserUrl"), wsProxy: inject("wsProxy"), timeoutMs });

/** Runs `fn` and returns how long it took (ms). */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = Date.now();
  await fn();
  return Date.now() - start;
}

describe("bounded waits on Postgres", () => {
  it("gives up connecting to a server that never answers after the bound", async () => {
    const db = frozen();
    let caught: unknown;
    const ms = await timed(() => db.query("select 1").catch((error) => (caught = error)));
    expect(caught).toBeInstanceOf(DatabaseTimeout);
    expect(String(caught)).toContain("postgres connect took longer than 300 ms");
    expect(ms).toBeLessThan(3_000);
    expect(await timed(() => db.close())).toBeLessThan(1_000);
  });

  it("bounds each statement, and lets one statement ask for longer", async () => {
    const db = live(300);
    try {
      await expect(db.query("select pg_sleep(1)")).rejects.toBeInstanceOf(DatabaseTimeout);
    } finally {
      await db.close();
    }
    const patient = live(300);
    try {
      expect(await patient.query<{ ok: number }>("select 1 as ok from pg_sleep(0.5)", [], 3_000)).toEqual([{ ok: 1 }]);
    } finally {
      await patient.close();
    }
  });

  it("answers 503 JSON, not a hang, when Postgres is frozen under a route", async () => {
    const env = { NEON_WS_PROXY: inject("frozenWsProxy"), AXONFLOW_DB_TIMEOUT_MS: "300" };
    const post = (body: string) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body });
    for (const [path, body] of [
      ["/api/v1/register", "{}"],
      ["/api/v1/recover", '{"email":"frozen@example.com"}'],
      ["/api/v1/tenant/cs_frozen/delete-request", '{"email":"frozen@example.com"}'],
    ] as const) {
      let response: Response | undefined;
      const ms = await timed(async () => {
        response = await callWithEnv(env, path, post(body));
      });
      await expectErrorA(response as Response, 503, "Service temporarily unavailable");
      expect(ms).toBeLessThan(3_000);
    }
  });

  it("answers 503, not 500, when Postgres goes away after the isolate's guard check was cached", async () => {
    // A served request caches the app-role guard's verdict; later routes open the connection themselves.
    const tenant = await registerTenant();
    const post = (path: string, body: string, headers: Record<string, string> = {}) => ({
      path,
      init: {
        method: "POST",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomLoopback(), ...headers },
        body,
      },
    });
    const requests = [
      post("/api/v1/register", "{}"),
      post("/api/v1/recover/verify", '{"token":"never-issued"}'),
      post("/api/v1/tenant/cs_gone/delete-confirm", '{"token":"never-issued"}'),
      post("/api/v1/audit/search", "{}", { Authorization: basic(tenant.tenant_id, tenant.secret) }),
    ];
    // A port nobody listens on (refused at once) and a server that never answers (the bound).
    for (const env of [
      { NEON_WS_PROXY: "127.0.0.1:9", AXONFLOW_DB_TIMEOUT_MS: "300" },
      { NEON_WS_PROXY: inject("frozenWsProxy"), AXONFLOW_DB_TIMEOUT_MS: "300" },
    ]) {
      for (const { path, init } of requests) {
        const response = await callWithEnv(env, path, init);
        if (path === "/api/v1/audit/search") {
          // Authentication comes first and the gate still holds the credential: the search itself fails.
          expect([200, 503]).toContain(response.status);
          if (response.status === 200) continue;
        }
        await expectErrorA(response, 503, "Service temporarily unavailable");
      }
    }
  });

  it("tells an unreachable or timed-out Postgres apart from a failing statement", async () => {
    const refused = new Database({ url: inject("appRoleUrl"), wsProxy: "127.0.0.1:9", timeoutMs: 1_000 });
    const error = await refused.query("select 1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseUnreachable);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(new DatabaseTimeout("statement", 1))).toBe(true);
    const db = live(2_000);
    try {
      const failed = await db.query("select 1/0").catch((caught: unknown) => caught);
      expect(isDatabaseUnavailable(failed)).toBe(false);
    } finally {
      await db.close();
    }
  });
});
