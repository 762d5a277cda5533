/** The tenant gate's outbox, idempotency records and sessions (src/limits/gate-storage.ts). */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/records";
import type { TenantGate } from "../../src/limits/tenant-gate";
import { superuser } from "../support/db";
import { gateStub, tenantWithAdmit, type testEnv } from "../support/tenant";

function auditRecord(tenantId: string, id = `audit_${crypto.randomUUID()}`): AuditRecord {
  return {
    kind: "audit",
    id,
    requestId: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    tenantId,
    orgId: tenantId,
    clientId: tenantId,
    requestType: "tool_call_audit",
    query: "Tool: Bash",
    queryHash: "0".repeat(64),
    policyDecision: "allowed",
  };
}

const auditCount = async (tenantId: string) =>
  (await superuser<{ n: number }>("select count(*)::int as n from audit_logs where tenant_id = $1", [tenantId]))[0]?.n;

/** Runs the alarm with the gate's database URL pointing at a closed port (Postgres "down"). */
async function alarmWithDatabaseDown(stub: DurableObjectStub<TenantGate>): Promise<void> {
  await runInDurableObject(stub, async (instance: TenantGate) => {
    const gate = instance as unknown as { env: typeof testEnv };
    const saved = gate.env;
    gate.env = { ...saved, AXONFLOW_DB_APP_ROLE_URL: "postgres://axonflow_app_role:x@127.0.0.1:1/axonflow" };
    try {
      await instance.alarm();
    } finally {
      gate.env = saved;
    }
  });
}

describe("tenant gate — outbox", () => {
  it("keeps records through a failed flush and writes each exactly once when Postgres is back", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    expect((await stub.admit(request)).kind).toBe("admitted");
    const records = Array.from({ length: 3 }, () => auditRecord(request.tenantId));
    await stub.record({ records });

    await alarmWithDatabaseDown(stub);
    expect(await auditCount(request.tenantId)).toBe(0);
    const pending = await runInDurableObject(
      stub,
      (_i, state) => state.storage.sql.exec<{ n: number }>("select count(*) as n from outbox").one().n,
    );
    expect(pending).toBe(3);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await auditCount(request.tenantId)).toBe(3);
    // Sending the same rows again (a retried batch) adds nothing.
    await stub.record({ records });
    await runDurableObjectAlarm(stub);
    expect(await auditCount(request.tenantId)).toBe(3);
  });

  it("writes a large backlog in batches and leaves the rest for the next alarm", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    await stub.record({ records: Array.from({ length: 1200 }, () => auditRecord(request.tenantId)) });
    await runDurableObjectAlarm(stub);
    expect(await auditCount(request.tenantId)).toBe(1200);
  });
});

describe("tenant gate — idempotency records", () => {
  it("replays within 24 h, refuses another fingerprint, and forgets after expiry", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const key = "idem-1";
    const response = { status: 201, contentType: "application/json", body: '{"audit_id":"audit_x"}' };
    await stub.record({ records: [], idempotency: { key, fingerprint: "f1", response } });
    const lookup = (fingerprint: string, nowMs: number) =>
      stub.admit({ ...request, nowMs, idempotency: { key, fingerprint } });
    expect(await lookup("f1", Date.now())).toMatchObject({ idempotency: { kind: "replay", response } });
    expect(await lookup("f2", Date.now())).toMatchObject({ idempotency: { kind: "mismatch" } });
    expect(await lookup("f1", Date.now() + 24 * 3_600_000 + 1000)).toMatchObject({ idempotency: { kind: "none" } });
  });
});

describe("tenant gate — sessions", () => {
  it("ends a live session once and does not know expired ones", async () => {
    const { request } = await tenantWithAdmit();
    const stub = gateStub(request.tenantId);
    const create = (id: string) =>
      stub.admit({
        ...request,
        session: { op: "create", id, protocolVersion: "2025-06-18", clientName: "cursor-vscode" },
      });
    const end = (id: string, nowMs = Date.now()) => stub.admit({ ...request, nowMs, session: { op: "end", id } });
    const live = `axonflow-${"a".repeat(24)}`;
    const stale = `axonflow-${"b".repeat(24)}`;
    await create(live);
    await create(stale);
    expect(await end(live)).toMatchObject({ session: "live" });
    expect(await end(live)).toMatchObject({ session: "unknown" });
    expect(await end(stale, Date.now() + 25 * 3_600_000)).toMatchObject({ session: "unknown" });
  });
});
