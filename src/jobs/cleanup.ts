/**
 * Daily cleanup (decisions.md "Cleanup job the reference only promised"): recovery and deletion
 * tokens expired or consumed more than 7 days ago, and daily-usage rows more than 30 days old.
 * Each table is trimmed in bounded batches (one statement each: pick up to `batchRows` due rows
 * through an index, delete them by ctid with the condition checked again). A run that spends its
 * budget leaves the rest for the next day; nothing is stored between runs.
 *
 * Expired idempotency records and MCP sessions are not here: they live in each TenantGate's
 * Durable Object SQLite storage (src/limits/gate-storage.ts), and the gate's alarm deletes them
 * (GateTables.sweepExpired on every flush, the alarm re-armed for the next expiry).
 */
import type { LogFields, Logger } from "../http/log";
import { asPlatformAdmin, DAY_MS, type JobDb, reportJob } from "./job-db";

/** How long a used-up token is kept after it expired or was consumed (a replay answers 410 meanwhile). */
export const TOKEN_KEEP_DAYS = 7;
/** Daily-usage rows kept, in days before today (UTC). */
export const DAILY_USAGE_KEEP_DAYS = 30;
export const CLEANUP_BATCH_ROWS = 5_000;
/** Batches per table and run. */
export const CLEANUP_MAX_BATCHES = 20;

type CleanupTarget = "recoveryTokens" | "deletionTokens" | "dailyUsage";

/** The rows each target removes, `$1` being its cutoff (fixed SQL, never input). */
const TARGETS: readonly { name: CleanupTarget; table: string; due: string }[] = [
  {
    name: "recoveryTokens",
    table: "community_saas_recovery_tokens",
    due: "expires_at < $1::timestamptz or consumed_at < $1::timestamptz",
  },
  {
    name: "deletionTokens",
    table: "community_saas_deletion_tokens",
    due: "expires_at < $1::timestamptz or consumed_at < $1::timestamptz",
  },
  { name: "dailyUsage", table: "community_saas_daily_usage", due: "day < $1::date" },
];

export interface CleanupOptions {
  now: Date;
  dryRun?: boolean;
  batchRows?: number;
  maxBatchesPerTable?: number;
}

export interface CleanupResult {
  dryRun: boolean;
  /** Rows deleted (dry run: due) per target. */
  deleted: Record<CleanupTarget, number>;
  batches: number;
  complete: boolean;
  /** Tokens expired or consumed before this instant go. */
  tokenCutoff: Date;
  /** Daily-usage rows of days before this UTC date (`YYYY-MM-DD`) go. */
  dailyUsageCutoff: string;
}

/** Runs the cleanup once. */
export async function runCleanup(db: JobDb, options: CleanupOptions, log: Logger): Promise<CleanupResult> {
  const { now, dryRun = false } = options;
  const batchRows = options.batchRows ?? CLEANUP_BATCH_ROWS;
  const maxBatches = options.maxBatchesPerTable ?? CLEANUP_MAX_BATCHES;
  const tokenCutoff = new Date(now.getTime() - TOKEN_KEEP_DAYS * DAY_MS);
  const dailyUsageCutoff = new Date(now.getTime() - DAILY_USAGE_KEEP_DAYS * DAY_MS).toISOString().slice(0, 10);
  const progress: CleanupResult = {
    dryRun,
    deleted: { recoveryTokens: 0, deletionTokens: 0, dailyUsage: 0 },
    batches: 0,
    complete: true,
    tokenCutoff,
    dailyUsageCutoff,
  };

  return reportJob(
    "cleanup",
    log,
    progress,
    async () => {
      await asPlatformAdmin(db);
      for (const { name, table, due } of TARGETS) {
        const cutoff = name === "dailyUsage" ? dailyUsageCutoff : tokenCutoff.toISOString();
        if (dryRun) {
          const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${due}`, [cutoff]);
          progress.deleted[name] += row?.n ?? 0;
          continue;
        }
        for (let batch = 0; ; batch++) {
          if (batch === maxBatches) {
            progress.complete = false;
            break;
          }
          const [row] = await db.query<{ n: number }>(
            `with gone as (
               delete from ${table}
               where ctid = any (array(select ctid from ${table} where ${due} limit $2)) and (${due})
               returning 1
             )
             select count(*)::int as n from gone`,
            [cutoff, batchRows],
          );
          const deleted = row?.n ?? 0;
          progress.deleted[name] += deleted;
          progress.batches++;
          if (deleted < batchRows) break;
        }
      }
    },
    cleanupFields,
  );
}

function cleanupFields(result: CleanupResult): LogFields {
  return { dryRun: result.dryRun, batches: result.batches, complete: result.complete, ...result.deleted };
}
