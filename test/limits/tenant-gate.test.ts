import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTH_MESSAGES } from "../../src/auth/messages";
import { hashSecret } from "../../src/credentials/secret-hash";
import { DAILY_QUOTA_ERROR } from "../../src/limits/envelopes";
import type { TenantGate } from "../../src/limits/tenant-gate";
import { TEST_PEPPER } from "../support/constants";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, expectErrorA, registerTenant, withFrozenClock } from "../support/http";
import { DEFAULT_LIMITS, gateStub, tenantWithAdmit, testEnv } from "../support/tenant";

const explain = (authorization: string, ip = "127.0.0.1", envOverrides?: Record<string, string>) => {
  const init = {
    method: "POST",
    headers: { Authorization: authorization, "CF-Connecting-IP": ip, "X-Axonflow-Client": "sdk-typescript/9.2.0" },
  };
  return envOverrides
    ? callWithEnv(envOverrides, "/api/v1/governance/explain", init)
    : call("/api/v1/governance/explain", init);
};

describe("tenant gate — daily quota", () => {
  it("admits exactly 200 of 250 parallel requests from one Free tenant", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const roomy = { COMMUNITY_SAAS_MINUTE_LIMIT: "1000", COMMUNITY_SAAS_MINUTE_LIMIT_FREE: "1000" };
    const responses = await Promise.all(Array.from({ length: 250 }, () => explain(auth, "127.0.0.1", roomy)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    const denied = responses.find((r) => r.status === 429) as Response;
    const body = (await denied.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: DAILY_QUOTA_ERROR, limit_type: "daily_quota", tier: "Free", limit: 200 });
    expect(denied.headers.get("X-Axonflow-Tier-Limit")).toBe("daily_quota");
  });

  it("starts a new count at UTC midnight", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const limits = {
      ...DEFAULT_LIMITS,
      preAuthPerMinute: 1000,
      tierPerMinute: { Free: 1000, Pro: 1000, Premium: 1000 },
    };
    const beforeMidnight = Date.parse("2026-11-23T23:59:58Z");
    for (let i = 0; i < 200; i++) {
      expect((await stub.admit({ ...request, limits, nowMs: beforeMidnight })).kind).toBe("admitted");
    }
    expect(await stub.admit({ ...request, limits, nowMs: beforeMidnight + 1000 })).toMatchObject({
      kind: "daily_quota",
      limit: 200,
    });
    expect((await stub.admit({ ...request, limits, nowMs: Date.parse("2026-11-24T00:00:00Z") })).kind).toBe("admitted");
  });

  it("counts rejected requests and flushes usage to Postgres from the alarm", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const limits = { ...DEFAULT_LIMITS, dailyByTier: { Free: 2, Pro: 2, Premium: 2 } };
    const nowMs = Date.now();
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push((await stub.admit({ ...request, limits, nowMs })).kind);
    expect(kinds).toEqual(["admitted", "admitted", "daily_quota"]);

    const [before] = await superuser<{ request_count: string }>(
      "select request_count from community_saas_registrations where tenant_id = $1",
      [request.tenantId],
    );
    expect(before?.request_count).toBe("0");
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const [row] = await superuser<{ request_count: string; seen: boolean }>(
      "select request_count, last_seen_at is not null as seen from community_saas_registrations where tenant_id = $1",
      [request.tenantId],
    );
    expect(row).toEqual({ request_count: "3", seen: true });
    const usage = await superuser<{ day: string; req_count: number }>(
      "select to_char(day, 'YYYY-MM-DD') as day, req_count from community_saas_daily_usage where tenant_id = $1",
      [request.tenantId],
    );
    expect(usage).toEqual([{ day: new Date(nowMs).toISOString().slice(0, 10), req_count: 3 }]);
    // Nothing left to write: the next alarm run is a no-op.
    await runDurableObjectAlarm(stub);
    const [again] = await superuser<{ request_count: string }>(
      "select request_count from community_saas_registrations where tenant_id = $1",
      [request.tenantId],
    );
    expect(again?.request_count).toBe("3");
  });

  it("answers later requests of an over-quota tenant from the isolate without calling the gate", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const roomy = { COMMUNITY_SAAS_MINUTE_LIMIT: "1000", COMMUNITY_SAAS_MINUTE_LIMIT_FREE: "1000" };
    for (let i = 0; i < 200; i++) expect((await explain(auth, "127.0.0.1", roomy)).status).toBe(200);
    const first = await explain(auth, "127.0.0.1", roomy);
    expect(first.status).toBe(429);
    expect(first.headers.get("X-Axonflow-Request-Cost")).toBe("do=1; db=0");
    const memoised = await explain(auth, "127.0.0.1", roomy);
    expect(memoised.status).toBe(429);
    expect(memoised.headers.get("X-Axonflow-Request-Cost")).toBe("do=0; db=0");
    expect(await memoised.text()).toBe(await first.text());
    // A wrong secret never hits the memo: it still goes to the gate and gets a 401.
    await expectErrorA(
      await explain(basic(tenant.tenant_id, "f".repeat(32)), "127.0.0.1", roomy),
      401,
      AUTH_MESSAGES.invalid,
    );
  });
});

describe("tenant gate — per-minute limits", () => {
  it("answers the 26th request of a Free tenant in a minute with the per-minute envelope", () =>
    withFrozenClock(async () => {
      const tenant = await registerTenant();
      const auth = basic(tenant.tenant_id, tenant.secret);
      const responses = await Promise.all(Array.from({ length: 26 }, () => explain(auth)));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(25);
      const limited = responses.find((r) => r.status === 429) as Response;
      expect(limited.headers.get("Retry-After")).toBe("60");
      expect(limited.headers.get("X-Axonflow-Tier-Limit")).toBe("per_minute");
      expect(await limited.json()).toMatchObject({
        error:
          "Per-minute limit reached on Free tier (25 requests). Pro raises this to 200/min. Try again in a minute.",
        limit_type: "per_minute",
        tier: "Free",
        limit: 25,
        window: "minute",
      });
    }));

  it("checks the pre-auth budget before any database lookup, per (client IP, tenant)", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const limits = { ...DEFAULT_LIMITS, preAuthPerMinute: 3 };
    const wrong = { ...request, limits, presentedHash: await hashSecret("wrong", TEST_PEPPER), clientIp: "10.9.9.9" };
    for (let i = 0; i < 3; i++) expect((await stub.admit(wrong)).kind).toBe("rejected");
    await stub.invalidate();
    expect(await stub.admit(wrong)).toEqual({ kind: "pre_auth_limited", limit: 3 });
    expect(await stub.admit({ ...wrong, presentedHash: request.presentedHash })).toEqual({
      kind: "pre_auth_limited",
      limit: 3,
    });
    // The owner, from another address, is unaffected; its lookup proves the cache was still empty.
    const owner = await stub.admit({ ...request, limits, clientIp: "10.1.1.1" });
    expect(owner.kind).toBe("admitted");
    expect(owner).toMatchObject({ dbQueries: expect.any(Number) });
    expect((owner as { dbQueries: number }).dbQueries).toBeGreaterThan(0);
  });

  it("keeps a wrong-secret flood from one IP from locking the tenant out over HTTP", () =>
    withFrozenClock(async () => {
      const tenant = await registerTenant();
      const overrides = { COMMUNITY_SAAS_MINUTE_LIMIT: "5" };
      const wrong = basic(tenant.tenant_id, "0".repeat(32));
      for (let i = 0; i < 5; i++)
        await expectErrorA(await explain(wrong, "127.66.0.1", overrides), 401, AUTH_MESSAGES.invalid);
      const limited = await explain(wrong, "127.66.0.1", overrides);
      expect(limited.headers.get("Retry-After")).toBe("60");
      await expectErrorA(limited, 429, "Rate limit exceeded (5 req/min). Try again shortly.");
      expect((await explain(basic(tenant.tenant_id, tenant.secret), "127.66.0.2", overrides)).status).toBe(200);
    }));

  it("limits the credential itself to COMMUNITY_SAAS_MINUTE_LIMIT correct requests a minute", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const limits = { ...DEFAULT_LIMITS, preAuthPerMinute: 2, tierPerMinute: { Free: 100, Pro: 100, Premium: 100 } };
    expect((await stub.admit({ ...request, limits })).kind).toBe("admitted");
    expect((await stub.admit({ ...request, limits })).kind).toBe("admitted");
    expect(await stub.admit({ ...request, limits })).toEqual({ kind: "pre_auth_limited", limit: 2 });
  });
});

describe("tenant gate — hot path and failure", () => {
  it("serves a warm request with one Durable Object call and zero Postgres queries", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const cold = await explain(auth);
    expect(cold.status).toBe(200);
    expect(cold.headers.get("X-Axonflow-Request-Cost")).toMatch(/^do=1; db=[12]$/);
    const warm = await explain(auth);
    expect(warm.status).toBe(200);
    expect(warm.headers.get("X-Axonflow-Request-Cost")).toBe("do=1; db=0");
  });

  it("sees a credential change made in Postgres after invalidate()", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    expect((await explain(auth)).status).toBe(200);
    await superuser("update community_saas_registrations set disabled_at = now() where tenant_id = $1", [
      tenant.tenant_id,
    ]);
    expect((await explain(auth)).status).toBe(200); // cached for up to 60 s
    await gateStub(tenant.tenant_id).invalidate();
    await expectErrorA(await explain(auth), 401, AUTH_MESSAGES.invalid);
  });

  it("re-reads the credential after the cache TTL without invalidate()", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const t0 = Date.now();
    expect((await stub.admit({ ...request, nowMs: t0 })).kind).toBe("admitted");
    await superuser("update community_saas_registrations set terminated_at = now() where tenant_id = $1", [
      request.tenantId,
    ]);
    expect((await stub.admit({ ...request, nowMs: t0 + 59_000 })).kind).toBe("admitted");
    expect(await stub.admit({ ...request, nowMs: t0 + 60_000 })).toMatchObject({ kind: "rejected", terminated: true });
  });

  it("fails closed with the daily envelope when the gate cannot be reached", async () => {
    const tenant = await registerTenant();
    const broken = {
      idFromName: () => ({}) as DurableObjectId,
      get: () => ({
        admit: () => {
          throw new Error("gate down");
        },
      }),
    } as unknown as typeof testEnv.TENANT_GATE;
    const response = await callWithEnv({ TENANT_GATE: broken }, "/api/v1/governance/explain", {
      method: "POST",
      headers: { Authorization: basic(tenant.tenant_id, tenant.secret) },
    });
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({
      limit_type: "daily_quota",
      error: DAILY_QUOTA_ERROR,
      tier: "",
      limit: 500,
    });
  });

  it("answers 503 from the gate when its app-role connection would bypass RLS", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const verdict = await runInDurableObject(stub, async (instance: TenantGate) => {
      const gate = instance as unknown as { env: typeof testEnv };
      const saved = gate.env;
      gate.env = { ...saved, AXONFLOW_DB_APP_ROLE_URL: testEnv.AXONFLOW_DB_PLATFORM_ADMIN_URL };
      try {
        return await instance.admit(request);
      } finally {
        gate.env = saved;
      }
    });
    expect(verdict).toEqual({ kind: "unavailable" });
  });
});

describe("tenant gate — refresh ahead", () => {
  it("answers a busy tenant from memory across the cache TTL: no request waits on Postgres", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const t0 = request.nowMs;
    const first = await stub.admit(request);
    expect(first).toMatchObject({ kind: "admitted" });
    expect((first as { dbQueries: number }).dbQueries).toBeGreaterThan(0);
    // At 50 s the entry is past refresh-ahead: answered from memory, reloaded in the background.
    expect(await stub.admit({ ...request, nowMs: t0 + 50_000 })).toMatchObject({ kind: "admitted", dbQueries: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // At 70 s the original load would have expired; the refreshed entry is fresh.
    expect(await stub.admit({ ...request, nowMs: t0 + 70_000 })).toMatchObject({ kind: "admitted", dbQueries: 0 });
    // An idle gap past the TTL still reloads while waiting.
    const idle = await stub.admit({ ...request, nowMs: t0 + 200_000 });
    expect((idle as { dbQueries: number }).dbQueries).toBeGreaterThan(0);
  });
});
