/** The inactive-tenant sweep (src/jobs/sweep.ts, csaas_sweep_batch), on the real database, at ERAS.sweep. */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_MESSAGES } from "../../src/auth/messages";
import type { Database } from "../../src/db/client";
import type { Env } from "../../src/env";
import { HOURLY_CRON, runScheduled } from "../../src/jobs";
import { runSweep, SWEEP_LOCK_KEY, type SweepOptions } from "../../src/jobs/sweep";
import { invalidateTenantGate } from "../../src/limits/gate-client";
import { superuser } from "../support/db";
import { basic, call, expectErrorA, registerTenant } from "../support/http";
import { adminDb, at, ERAS, recordingLogger } from "./support";

const NOW = ERAS.sweep;
/** Tables whose rows of a swept tenant stay (platform.md §5.2, plus the erasure records). */
const KEPT = [
  "community_saas_registrations",
  "community_saas_daily_usage",
  "static_policies",
  "dynamic_policies",
  "tenant_deletion_log",
];

const options = (extra: Partial<SweepOptions> = {}): SweepOptions => ({
  now: NOW,
  enabled: true,
  dryRun: false,
  ...extra,
});

/** A registration with the given dates (days relative to NOW; null = never seen). */
async function registration(createdDays: number, lastSeenDays: number | null): Promise<string> {
  const id = `cs_swp_${crypto.randomUUID()}`;
  await superuser(
    `insert into community_saas_registrations (tenant_id, secret_hash, secret_prefix, org_id, created_at, last_seen_at)
     values ($1, 'hmac-sha256$00', 'x', $1, $2, $3)`,
    [id, at(NOW, createdDays), lastSeenDays === null ? null : at(NOW, lastSeenDays)],
  );
  return id;
}

const state = async (id: string) =>
  (
    await superuser<{ terminated_at: Date | null; secret_hash: string }>(
      "select terminated_at, secret_hash from community_saas_registrations where tenant_id = $1",
      [id],
    )
  )[0];

/** One row in every tenant table this schema has (child rows at the real time: retention's era is later). */
async function seedEverywhere(id: string): Promise<void> {
  const statements = [
    `insert into audit_logs (id, request_id, timestamp, client_id, tenant_id, org_id, request_type, query, query_hash, policy_decision)
     values ('a_' || $1, '', now(), $1, $1, $1, 'tool_call_audit', 'q', '', 'allowed')`,
    `insert into policy_decisions (decision_id, tenant_id, org_id, client_id, request_id, timestamp, decision, call_site, policies_evaluated, statement_hash)
     values (left('d_' || $1, 64), $1, $1, $1, '', now(), 'allowed', 'check_input', 0, '')`,
    `insert into policy_overrides (tenant_id, org_id, policy_id, policy_type, override_reason, ttl_seconds, created_by, expires_at)
     values ($1, $1, 'sys_x', 'static', 'test', 60, 'me', now() + interval '1 minute')`,
    `insert into approval_requests (tenant_id, org_id, original_query, request_type, requested_by) values ($1, $1, 'q', 'x', 'me')`,
    `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, expires_at) values ($1, $1, 'b@example.com', 'Pro', now() + interval '9 days')`,
    `insert into community_saas_deletion_tokens (token_hash, tenant_id, org_id, email, expires_at)
     values (left(md5($1) || md5($1), 64), $1, $1, 'b@example.com', now() + interval '1 hour')`,
    `insert into community_saas_daily_usage (tenant_id, org_id, day, req_count) values ($1, $1, current_date, 3)`,
    `insert into static_policies (policy_id, name, category, pattern, tenant_id, org_id) values (left('p_' || $1, 100), 'n', 'c', 'x', $1, $1)`,
    `insert into tenant_deletion_log (tenant_id, email, requested_at) values ($1, 'b@example.com', now())`,
  ];
  for (const text of statements) await superuser(text, [id]);
}

/** Rows of `id` per table, for every public table with a tenant_id column (found in the catalog). */
async function rowsByTable(id: string): Promise<Record<string, number>> {
  const tables = await superuser<{ name: string }>(
    `select c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await superuser<{ n: number }>(`select count(*)::int as n from public.${name} where tenant_id = $1`, [
      id,
    ]);
    counts[name] = row?.n ?? 0;
  }
  return counts;
}

describe("sweep job", () => {
  let db: Database;
  beforeAll(() => {
    db = adminDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it("terminates tenants idle for 3 months or older than a year and keeps active ones", async () => {
    const idle = await registration(-200, -120);
    const neverSeenOld = await registration(-395, null);
    const active = await registration(-180, -30);
    const neverSeenYoung = await registration(-330, null);
    const seenRecentlyButOld = await registration(-370, -1);

    const log = recordingLogger();
    const result = await runSweep(db, options(), log);
    expect(result).toMatchObject({ tenants: 3, complete: true, dryRun: false });
    for (const id of [idle, neverSeenOld, seenRecentlyButOld]) {
      expect(await state(id)).toEqual({ terminated_at: NOW, secret_hash: "" });
    }
    for (const id of [active, neverSeenYoung]) {
      expect(await state(id)).toEqual({ terminated_at: null, secret_hash: "hmac-sha256$00" });
    }
    const swept = log.lines.filter((l) => l.event === "tenant_swept").map((l) => l.fields.tenantId);
    expect(swept.sort()).toEqual([idle, neverSeenOld, seenRecentlyButOld].sort());
    const finished = log.lines.filter((l) => l.event === "job_finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]?.fields).toMatchObject({ job: "sweep", tenants: 3, batches: 1, gatesNotReached: 3 });

    // A second run finds nothing: the tombstones are not swept again.
    expect((await runSweep(db, options(), recordingLogger())).tenants).toBe(0);
  });

  it("deletes the tenant's rows from every tenant table except the kept ones", async () => {
    const gone = await registration(-400, -100);
    const kept = await registration(-10, -1);
    await seedEverywhere(gone);
    await seedEverywhere(kept);

    const result = await runSweep(db, options(), recordingLogger());
    expect(result.tenants).toBe(1);
    expect(result.tables.length).toBeGreaterThanOrEqual(6);
    expect(result.tables).not.toContain("community_saas_registrations");
    // Children first: nothing references a table listed before it.
    expect(result.tables).toEqual(
      expect.arrayContaining(["audit_logs", "plugin_user_licenses", "community_saas_deletion_tokens"]),
    );

    const after = await rowsByTable(gone);
    for (const [table, n] of Object.entries(after)) {
      if (KEPT.includes(table)) continue;
      expect({ table, n }).toEqual({ table, n: 0 });
      expect(result.tables).toContain(table);
    }
    expect(after.community_saas_registrations).toBe(1);
    expect(after.community_saas_daily_usage).toBe(1);
    expect(after.static_policies).toBe(1);
    expect(after.tenant_deletion_log).toBe(1);
    for (const table of result.tables) expect(result.rows[table]).toBe(1);

    // The active tenant lost nothing.
    const untouched = await rowsByTable(kept);
    for (const table of [...result.tables, ...KEPT.filter((t) => t !== "dynamic_policies")]) {
      expect({ table, n: untouched[table] }).toEqual({ table, n: 1 });
    }
  });

  it("changes nothing in a dry run", async () => {
    const due = await registration(-400, null);
    await seedEverywhere(due);
    const before = await rowsByTable(due);
    const log = recordingLogger();
    const result = await runSweep(db, options({ dryRun: true }), log);
    expect(result).toMatchObject({ dryRun: true, tenants: 1, batches: 1 });
    expect(result.tables.length).toBeGreaterThanOrEqual(6);
    expect(await state(due)).toEqual({ terminated_at: null, secret_hash: "hmac-sha256$00" });
    expect(await rowsByTable(due)).toEqual(before);
    expect(log.lines.filter((l) => l.event === "tenant_swept")).toEqual([]);
    expect((await runSweep(db, options(), recordingLogger())).tenants).toBe(1);
  });

  it("does nothing when disabled", async () => {
    const due = await registration(-400, null);
    const log = recordingLogger();
    expect(await runSweep(db, options({ enabled: false }), log)).toMatchObject({ skipped: "disabled", tenants: 0 });
    expect(log.lines.find((l) => l.event === "job_finished")?.fields).toMatchObject({ skipped: "disabled" });
    expect((await state(due))?.terminated_at).toBeNull();
    await runSweep(db, options(), recordingLogger());
  });

  it("refuses to run when it finds fewer cascade tables than expected", async () => {
    const due = await registration(-400, null);
    const log = recordingLogger();
    await expect(runSweep(db, options({ minCascadeTables: 100 }), log)).rejects.toThrow(/sweep refused/);
    expect(log.lines.map((l) => l.event)).toEqual(["job_failed"]);
    expect((await state(due))?.terminated_at).toBeNull();
    // The lock was released: the next run works.
    expect((await runSweep(db, options(), recordingLogger())).tenants).toBe(1);
  });

  it("lets exactly one of two concurrent runs act", async () => {
    const due = await Promise.all([1, 2, 3, 4, 5].map(() => registration(-400, -200)));
    const other = adminDb();
    try {
      const results = await Promise.all([
        runSweep(db, options({ batchTenants: 2 }), recordingLogger()),
        runSweep(other, options({ batchTenants: 2 }), recordingLogger()),
      ]);
      const acted = results.filter((r) => r.tenants > 0);
      expect(acted).toHaveLength(1);
      expect(acted[0]?.tenants).toBe(5);
      const idle = results.find((r) => r.tenants === 0);
      // The other one either found the lock taken or came after and found nothing due.
      expect(idle?.skipped === "locked" || idle?.batches === 1).toBe(true);
      for (const id of due) expect((await state(id))?.terminated_at).toEqual(NOW);

      // While another session holds the lock, a run skips without touching anything.
      const late = await registration(-400, null);
      await other.query("select pg_advisory_lock($1::bigint)", [SWEEP_LOCK_KEY]);
      const log = recordingLogger();
      expect(await runSweep(db, options(), log)).toMatchObject({ skipped: "locked", tenants: 0 });
      expect(log.lines.find((l) => l.event === "job_finished")?.fields).toMatchObject({ skipped: "locked" });
      expect((await state(late))?.terminated_at).toBeNull();
      await other.query("select pg_advisory_unlock($1::bigint)", [SWEEP_LOCK_KEY]);
      expect((await runSweep(db, options(), recordingLogger())).tenants).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("answers the swept credential's next request with 401 terminated", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const probe = () =>
      call("/api/policy/pre-check", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: auth },
        body: JSON.stringify({ query: "hi" }),
      });
    expect((await probe()).status).toBe(200); // the gate now caches the credential
    await superuser("update community_saas_registrations set created_at = $2 where tenant_id = $1", [
      tenant.tenant_id,
      at(NOW, -400),
    ]);
    const result = await runSweep(
      db,
      options({ invalidate: (id) => invalidateTenantGate(env as Env, id) }),
      recordingLogger(),
    );
    expect(result).toMatchObject({ tenants: 1, gatesInvalidated: 1, gatesNotReached: 0 });
    await expectErrorA(await probe(), 401, AUTH_MESSAGES.terminated);
  });

  it("runs from the hourly cron as the platform admin, after retention", async () => {
    const due = await registration(-400, null);
    const log = recordingLogger();
    const hourlyEnv = { ...(env as Env), COMMUNITY_SAAS_SWEEP_ENABLED: "true", COMMUNITY_SAAS_SWEEP_DRYRUN: "false" };
    expect(await runScheduled(HOURLY_CRON, hourlyEnv, log, NOW)).toEqual(["retention", "sweep"]);
    const finished = log.lines.filter((l) => l.event === "job_finished").map((l) => l.fields);
    expect(finished.map((f) => f.job)).toEqual(["retention", "sweep"]);
    expect(finished[1]).toMatchObject({ tenants: 1, gatesInvalidated: 1 });
    expect((await state(due))?.terminated_at).toEqual(NOW);
  });
});
