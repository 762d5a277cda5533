/** Audit retention by tier (src/jobs/retention.ts), on the real database, at ERAS.retention. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../src/db/client";
import { runRetention } from "../../src/jobs/retention";
import { connect, superuser } from "../support/db";
import { adminDb, at, DAY, ERAS, recordingLogger } from "./support";

const NOW = ERAS.retention;

async function tenant(license?: { tier: "Pro" | "Premium"; expiresDays: number | null; revoked?: boolean }) {
  const id = `cs_ret_${crypto.randomUUID()}`;
  if (license) {
    await superuser(
      "insert into community_saas_registrations (tenant_id, secret_hash, secret_prefix, org_id) values ($1, 'x', 'x', $1)",
      [id],
    );
    await superuser(
      `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, issued_at, expires_at, revoked_at)
       values ($1, $1, 'buyer@example.com', $2, $3, $4, $5)`,
      [
        id,
        license.tier,
        at(NOW, -100),
        license.expiresDays === null ? null : at(NOW, license.expiresDays),
        license.revoked ? at(NOW, -1) : null,
      ],
    );
  }
  return id;
}

/** One audit row and one decision row for `tenantId` at `timestamp`; returns the audit id. */
async function seed(tenantId: string, timestamp: string): Promise<string> {
  const id = `audit_${crypto.randomUUID()}`;
  await superuser(
    `insert into audit_logs (id, request_id, timestamp, client_id, tenant_id, org_id, request_type, query, query_hash, policy_decision)
     values ($1, '', $2, $3, $3, $3, 'tool_call_audit', 'seeded', '', 'allowed')`,
    [id, timestamp, tenantId],
  );
  await superuser(
    `insert into policy_decisions (decision_id, tenant_id, org_id, client_id, request_id, timestamp, decision, call_site,
                                   policies_evaluated, statement_hash)
     values ($1, $2, $2, $2, '', $3, 'allowed', 'check_input', 0, '')`,
    [id.replace("audit_", "dec_").slice(0, 64), tenantId, timestamp],
  );
  return id;
}

/** The ages (days before NOW) of `tenantId`'s audit rows still present, oldest first. */
async function remainingAges(tenantId: string): Promise<number[]> {
  const rows = await superuser<{ t: Date }>("select timestamp as t from audit_logs where tenant_id = $1", [tenantId]);
  const decisions = await superuser<{ n: number }>(
    "select count(*)::int as n from policy_decisions where tenant_id = $1",
    [tenantId],
  );
  expect(decisions[0]?.n).toBe(rows.length);
  return rows
    .map((r) => Math.round(((NOW.getTime() - new Date(r.t).getTime()) / DAY) * 1000) / 1000)
    .sort((a, b) => b - a);
}

describe("retention job", () => {
  let db: Database;
  beforeAll(() => {
    db = adminDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it("purges rows past each tier's retention, keeps the rest, and logs counts per tier", async () => {
    const free = await tenant();
    const pro = await tenant({ tier: "Pro", expiresDays: 30 });
    const premium = await tenant({ tier: "Premium", expiresDays: 30 });
    const lapsed = await tenant({ tier: "Pro", expiresDays: -10 });
    const revoked = await tenant({ tier: "Pro", expiresDays: 30, revoked: true });
    const inGrace = await tenant({ tier: "Pro", expiresDays: -0.5 });
    const ages: Record<string, number[]> = {
      [free]: [4, 3.001, 3, 2, 0.1],
      [pro]: [35, 30.001, 30, 25, 4],
      [premium]: [120, 91, 90, 80, 35, 4],
      [lapsed]: [40, 4, 2],
      [revoked]: [4, 2],
      [inGrace]: [31, 4],
    };
    for (const [id, list] of Object.entries(ages)) for (const age of list) await seed(id, at(NOW, -age));

    const log = recordingLogger();
    const result = await runRetention(db, { now: NOW, batchRows: 2 }, log);

    // Strictly older than the cutoff goes; a row exactly at it stays.
    expect(await remainingAges(free)).toEqual([3, 2, 0.1]);
    expect(await remainingAges(pro)).toEqual([30, 25, 4]);
    expect(await remainingAges(premium)).toEqual([90, 80, 35, 4]);
    // An expired license (past the 24 h grace) or a revoked one falls back to Free's 3 days.
    expect(await remainingAges(lapsed)).toEqual([2]);
    expect(await remainingAges(revoked)).toEqual([2]);
    // Within the grace the license still counts, as it does for requests.
    expect(await remainingAges(inGrace)).toEqual([4]);

    expect(result.deleted.audit_logs).toEqual({ Free: 2 + 2 + 1, Pro: 2 + 1, Premium: 2 });
    expect(result.deleted.policy_decisions).toEqual(result.deleted.audit_logs);
    expect(result.complete).toBe(true);
    expect(result.batches).toBeGreaterThanOrEqual(6);
    const finished = log.lines.filter((l) => l.event === "job_finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]?.fields).toMatchObject({
      job: "retention",
      free: 10,
      pro: 6,
      premium: 4,
      audit_logs: 10,
      policy_decisions: 10,
      batches: result.batches,
      complete: true,
      dryRun: false,
    });
    expect(typeof finished[0]?.fields.durationMs).toBe("number");
  });

  it("stops at its batch budget and the next run resumes where it stopped", async () => {
    const ids = [await tenant(), await tenant(), await tenant()];
    for (const id of ids) for (let i = 0; i < 4; i++) await seed(id, at(NOW, -5 - i));

    const first = await runRetention(db, { now: NOW, batchRows: 3, maxBatchesPerTable: 2 }, recordingLogger());
    expect(first.complete).toBe(false);
    expect(first.deleted.audit_logs.Free).toBe(6);
    expect(first.batches).toBe(4);

    const second = await runRetention(db, { now: NOW, batchRows: 3 }, recordingLogger());
    expect(second.deleted.audit_logs.Free).toBe(6);
    expect(second.complete).toBe(true);
    for (const id of ids) expect(await remainingAges(id)).toEqual([]);
  });

  it("counts without deleting in a dry run", async () => {
    const free = await tenant();
    const pro = await tenant({ tier: "Pro", expiresDays: 10 });
    await seed(free, at(NOW, -4));
    await seed(pro, at(NOW, -31));
    await seed(pro, at(NOW, -5));
    const log = recordingLogger();
    const result = await runRetention(db, { now: NOW, dryRun: true }, log);
    expect(result.deleted.audit_logs).toEqual({ Free: 1, Pro: 1, Premium: 0 });
    expect(result.batches).toBe(0);
    expect(await remainingAges(free)).toEqual([4]);
    expect(await remainingAges(pro)).toEqual([31, 5]);
    expect(log.lines.find((l) => l.event === "job_finished")?.fields).toMatchObject({ dryRun: true, free: 2, pro: 2 });
    await runRetention(db, { now: NOW }, recordingLogger());
    expect(await remainingAges(pro)).toEqual([5]);
  });

  it("does nothing on a clean table and runs as the platform admin only", async () => {
    const result = await runRetention(db, { now: NOW }, recordingLogger());
    expect(result.deleted.audit_logs).toEqual({ Free: 0, Pro: 0, Premium: 0 });
    expect(result.batches).toBe(2);

    const appRole = connect(inject("appRoleUrl"));
    const log = recordingLogger();
    try {
      await expect(runRetention(appRole, { now: NOW }, log)).rejects.toThrow();
    } finally {
      await appRole.close();
    }
    expect(log.lines.map((l) => l.event)).toEqual(["job_failed"]);
  });
});
