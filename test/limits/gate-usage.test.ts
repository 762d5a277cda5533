/**
 * The tenant gate's usage flush (last_seen_at/request_count through csaas_register_flush) against
 * the real Postgres: a flush whose COMMIT landed although the gate saw a failure (a COMMIT that
 * outlasts AXONFLOW_DB_TIMEOUT_MS, or a crash between the commit and the gate's acknowledgement)
 * is re-sent, and must not count its requests twice; requests admitted in between are counted once.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { TenantGate } from "../../src/limits/tenant-gate";
import type { AdmitRequest } from "../../src/rpc/tenant-gate";
import { connect, superuser } from "../support/db";
import { gateStub, tenantWithAdmit, type testEnv } from "../support/tenant";

/** The gate's Postgres bound while a flush is made to fail (the slow COMMIT sleeps longer). */
const SHORT_TIMEOUT_MS = 800;

type Stub = DurableObjectStub<TenantGate>;

/** Runs the gate's alarm with some env bindings replaced (the flush reads config per run). */
async function alarmWithEnv(stub: Stub, overrides: Record<string, string>): Promise<void> {
  await runInDurableObject(stub, async (instance: TenantGate) => {
    const gate = instance as unknown as { env: typeof testEnv };
    const saved = gate.env;
    gate.env = { ...saved, ...overrides };
    try {
      await instance.alarm();
    } finally {
      gate.env = saved;
    }
  });
}

const registration = async (tenantId: string) =>
  (
    await superuser<{ n: number; seen_ms: number | null }>(
      `select request_count::int as n, (extract(epoch from last_seen_at) * 1000)::float8 as seen_ms
       from community_saas_registrations where tenant_id = $1`,
      [tenantId],
    )
  )[0];

async function admitTimes(stub: Stub, request: AdmitRequest, times: number): Promise<void> {
  for (let i = 0; i < times; i++) expect((await stub.admit({ ...request, nowMs: Date.now() })).kind).toBe("admitted");
}

/** Polls until the tenant's request_count is `expected` (an abandoned COMMIT landing). */
async function countReaches(tenantId: string, expected: number, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const row = await registration(tenantId);
    if (row?.n === expected) return;
    if (Date.now() > deadline) throw new Error(`request_count stayed ${row?.n}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Makes every COMMIT that updated this tenant's registration sleep `stallSeconds` (a deferred
 * constraint trigger, scoped to the one tenant), until the returned function drops it.
 */
async function slowCommitsFor(tenantId: string, stallSeconds: number): Promise<() => Promise<void>> {
  const name = `test_slow_commit_${crypto.randomUUID().replace(/-/g, "")}`;
  const literal = `'${tenantId.replace(/'/g, "''")}'`;
  await superuser(`create function public.${name}() returns trigger language plpgsql as $$
    begin perform pg_sleep(${stallSeconds}); return null; end $$`);
  await superuser(`create constraint trigger ${name} after update on public.community_saas_registrations
    deferrable initially deferred for each row when (new.tenant_id = ${literal})
    execute function public.${name}()`);
  return async () => {
    await superuser(`drop trigger if exists ${name} on public.community_saas_registrations`);
    await superuser(`drop function if exists public.${name}()`);
  };
}

describe("tenant gate — usage flush", () => {
  it("does not count a flush twice when its COMMIT landed after the gate gave up on it", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    await admitTimes(stub, request, 5);

    const dropSlowCommit = await slowCommitsFor(request.tenantId, 1.5);
    try {
      // The COMMIT outlasts the bound: the gate logs gate_flush_failed and keeps the usage...
      await alarmWithEnv(stub, { AXONFLOW_DB_TIMEOUT_MS: String(SHORT_TIMEOUT_MS) });
      // ...and Postgres commits it anyway once the trigger's sleep ends.
      await countReaches(request.tenantId, 5);
    } finally {
      await dropSlowCommit();
    }

    // Admitted between the failed flush and its retry: counted once, by a later flush.
    await admitTimes(stub, request, 3);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await registration(request.tenantId))?.n).toBe(8);

    // Nothing is left to send: another run changes nothing.
    await runInDurableObject(stub, (instance: TenantGate) => instance.alarm());
    expect((await registration(request.tenantId))?.n).toBe(8);
  });

  it("does not count a flush twice when it is retried while the abandoned COMMIT is still running", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    await admitTimes(stub, request, 4);

    const dropSlowCommit = await slowCommitsFor(request.tenantId, 4);
    try {
      await alarmWithEnv(stub, { AXONFLOW_DB_TIMEOUT_MS: String(SHORT_TIMEOUT_MS) });
      await admitTimes(stub, request, 2);
      // The abandoned COMMIT is still sleeping when the retry starts. The retry's update waits for
      // its row lock, then sees its flush id; the later snapshot's COMMIT stalls too, within the bound.
      expect((await registration(request.tenantId))?.n).toBe(0);
      await alarmWithEnv(stub, { AXONFLOW_DB_TIMEOUT_MS: "10000" });
    } finally {
      await dropSlowCommit();
    }
    expect((await registration(request.tenantId))?.n).toBe(6);
    await runInDurableObject(stub, (instance: TenantGate) => instance.alarm());
    expect((await registration(request.tenantId))?.n).toBe(6);
  });

  it("does not count a flush twice when the gate lost its acknowledgement (crash after COMMIT)", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    await admitTimes(stub, request, 5);
    // A flush that never reached Postgres leaves the usage as it will be sent.
    await alarmWithEnv(stub, { AXONFLOW_DB_APP_ROLE_URL: "postgres://axonflow_app_role:x@127.0.0.1:1/axonflow" });
    expect((await registration(request.tenantId))?.n).toBe(0);

    const kvState = () =>
      runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list<unknown>()] as [string, unknown][]);
    const beforeCommit = await kvState();
    await runInDurableObject(stub, (instance: TenantGate) => instance.alarm());
    const after = await registration(request.tenantId);
    expect(after?.n).toBe(5);
    expect(after?.seen_ms).not.toBeNull();

    // The gate restarts from the storage it had during the transaction: the commit is not known.
    await runInDurableObject(stub, (_instance, state) => {
      for (const [key] of [...state.storage.kv.list()]) state.storage.kv.delete(key);
      for (const [key, value] of beforeCommit) state.storage.kv.put(key, value);
    });
    await admitTimes(stub, request, 2);
    await runInDurableObject(stub, (instance: TenantGate) => instance.alarm());
    const retried = await registration(request.tenantId);
    expect(retried?.n).toBe(7);
    // last_seen_at still only moves forward.
    expect(retried?.seen_ms).toBeGreaterThanOrEqual(after?.seen_ms ?? 0);
  });

  it("counts requests admitted while a flush is in flight in the next flush", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    await admitTimes(stub, request, 5);
    const dropSlowCommit = await slowCommitsFor(request.tenantId, 1);
    try {
      let done = false;
      const flushing = runInDurableObject(stub, (instance: TenantGate) => instance.alarm()).then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admitTimes(stub, request, 3);
      expect(done).toBe(false); // the three were admitted while the first flush's COMMIT stalled
      await flushing;
    } finally {
      await dropSlowCommit();
    }
    expect((await registration(request.tenantId))?.n).toBe(5);
    await runInDurableObject(stub, (instance: TenantGate) => instance.alarm());
    expect((await registration(request.tenantId))?.n).toBe(8);
  });
});

describe("csaas_register_flush", () => {
  it("applies a flush id once, moves last_seen_at forward only, and skips dead registrations", async () => {
    const { request } = await tenantWithAdmit();
    const app = connect(inject("appRoleUrl"));
    const flush = async (id: string, requests: number, seenAt: string) =>
      (
        await app.query<{ outcome: string }>("select public.csaas_register_flush($1, $2, $3, $4) as outcome", [
          request.tenantId,
          id,
          requests,
          seenAt,
        ])
      )[0]?.outcome;
    try {
      const first = crypto.randomUUID();
      const second = crypto.randomUUID();
      expect(await flush(first, 5, "2026-01-02T00:00:00Z")).toBe("applied");
      expect(await flush(first, 5, "2026-01-02T00:00:00Z")).toBe("already_applied");
      expect(await flush(second, 2, "2026-01-01T00:00:00Z")).toBe("applied");
      expect(await registration(request.tenantId)).toEqual({ n: 7, seen_ms: Date.parse("2026-01-02T00:00:00Z") });
      await superuser("update community_saas_registrations set terminated_at = now() where tenant_id = $1", [
        request.tenantId,
      ]);
      expect(await flush(crypto.randomUUID(), 1, "2026-01-03T00:00:00Z")).toBe("not_found");
      expect((await registration(request.tenantId))?.n).toBe(7);
    } finally {
      await app.close();
    }
  });
});
