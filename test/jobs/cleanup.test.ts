/** The daily cleanup (src/jobs/cleanup.ts), on the real database, at ERAS.cleanup. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { runCleanup } from "../../src/jobs/cleanup";
import { superuser } from "../support/db";
import { adminDb, at, DAY, ERAS, recordingLogger } from "./support";

const NOW = ERAS.cleanup;
const MS = 1 / DAY;

const hash = () => crypto.randomUUID().replaceAll("-", "").repeat(2);

async function recoveryToken(expiresDays: number, consumedDays: number | null = null): Promise<string> {
  const token = hash();
  await superuser(
    `insert into community_saas_recovery_tokens (token_hash, email, created_at, expires_at, consumed_at)
     values ($1, 'someone@example.com', $2, $3, $4)`,
    [token, at(NOW, expiresDays - 1 / 24), at(NOW, expiresDays), consumedDays === null ? null : at(NOW, consumedDays)],
  );
  return token;
}

async function deletionToken(expiresDays: number, consumedDays: number | null = null): Promise<string> {
  const token = hash();
  const tenant = `cs_cln_${crypto.randomUUID()}`;
  await superuser(
    `insert into community_saas_deletion_tokens (token_hash, tenant_id, org_id, email, created_at, expires_at, consumed_at)
     values ($1, $2, $2, 'someone@example.com', $3, $4, $5)`,
    [
      token,
      tenant,
      at(NOW, expiresDays - 1 / 24),
      at(NOW, expiresDays),
      consumedDays === null ? null : at(NOW, consumedDays),
    ],
  );
  return token;
}

const present = async (table: string, tokens: string[]) =>
  (
    await superuser<{ token_hash: string }>(`select token_hash from ${table} where token_hash = any ($1)`, [tokens])
  ).map((r) => r.token_hash);

describe("cleanup job", () => {
  let db: Database;
  beforeAll(() => {
    db = adminDb();
  });
  afterAll(async () => {
    await db.close();
  });

  it("deletes tokens expired or consumed more than 7 days ago, and no others", async () => {
    for (const [table, make] of [
      ["community_saas_recovery_tokens", recoveryToken],
      ["community_saas_deletion_tokens", deletionToken],
    ] as const) {
      const goes = [
        await make(-8),
        await make(-7 - MS), // a millisecond past the boundary
        await make(-6, -7 - MS), // consumed just over 7 days ago, expiry later
        await make(-30, -30),
      ];
      const stays = [
        await make(-7), // expired exactly 7 days ago
        await make(-6.9),
        await make(1), // live
        await make(-6, -7), // consumed exactly 7 days ago
        await make(-1, -2),
      ];
      const result = await runCleanup(db, { now: NOW, batchRows: 1 }, recordingLogger());
      expect(await present(table, goes)).toEqual([]);
      expect((await present(table, stays)).sort()).toEqual([...stays].sort());
      expect(result.deleted[table === "community_saas_recovery_tokens" ? "recoveryTokens" : "deletionTokens"]).toBe(4);
    }
  });

  it("deletes daily-usage rows of days more than 30 days before today (UTC)", async () => {
    const tenant = `cs_cln_${crypto.randomUUID()}`;
    const days = ["1980-05-01", "1980-05-15", "1980-05-16", "1980-06-14", "1980-06-15"];
    for (const day of days) {
      await superuser(
        "insert into community_saas_daily_usage (tenant_id, org_id, day, req_count) values ($1, $1, $2, 1)",
        [tenant, day],
      );
    }
    const log = recordingLogger();
    const result = await runCleanup(db, { now: NOW }, log);
    expect(result.dailyUsageCutoff).toBe("1980-05-16");
    const left = await superuser<{ day: string }>(
      "select to_char(day, 'YYYY-MM-DD') as day from community_saas_daily_usage where tenant_id = $1 order by day",
      [tenant],
    );
    expect(left.map((r) => r.day)).toEqual(["1980-05-16", "1980-06-14", "1980-06-15"]);
    expect(result.deleted.dailyUsage).toBe(2);
    const finished = log.lines.filter((l) => l.event === "job_finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]?.fields).toMatchObject({
      job: "cleanup",
      dailyUsage: 2,
      recoveryTokens: 0,
      deletionTokens: 0,
      batches: 3,
      complete: true,
    });
  });

  it("counts without deleting in a dry run, and stops at its batch budget", async () => {
    const tokens = [await recoveryToken(-10), await recoveryToken(-11), await recoveryToken(-12)];
    const dry = await runCleanup(db, { now: NOW, dryRun: true }, recordingLogger());
    expect(dry.deleted.recoveryTokens).toBe(3);
    expect(dry.batches).toBe(0);
    expect(await present("community_saas_recovery_tokens", tokens)).toHaveLength(3);

    const first = await runCleanup(db, { now: NOW, batchRows: 1, maxBatchesPerTable: 2 }, recordingLogger());
    expect(first).toMatchObject({ complete: false, deleted: { recoveryTokens: 2 } });
    expect(await present("community_saas_recovery_tokens", tokens)).toHaveLength(1);
    const second = await runCleanup(db, { now: NOW, batchRows: 1, maxBatchesPerTable: 2 }, recordingLogger());
    expect(second.deleted.recoveryTokens).toBe(1);
    expect(await present("community_saas_recovery_tokens", tokens)).toEqual([]);
  });
});
