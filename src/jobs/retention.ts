/**
 * Audit retention by tier (platform.md §5.1, decisions.md "Numbers"): a tenant whose license is
 * live (not revoked, not past `expires_at` + the token's grace) keeps its tier's days — Pro 30,
 * Premium 90 — and every other tenant keeps 3. Rows past their tenant's cutoff leave `audit_logs`
 * and `policy_decisions` in bounded batches.
 *
 * How a batch finds its rows without rescanning kept ones: it walks the distinct tenant ids of the
 * table in order (a skip scan over the `(tenant_id, timestamp)` index: one index probe per tenant),
 * resolves each tenant's tier from its live license, and takes that tenant's rows older than its
 * cutoff by a range scan of the same index, until the batch holds `batchRows` rows. Only rows that
 * are deleted are read. The next batch resumes at the last tenant of the previous one; a batch
 * that comes back short means the table is done. Nothing is stored between runs: whatever a run
 * left (its batch budget spent) is still older than the cutoff next hour and is found first.
 * Each batch is one statement (its own transaction), holding row locks on the rows it deletes only.
 */
import type { LogFields, Logger } from "../http/log";
import { EXPIRY_GRACE_MS } from "../license/verify";
import { TIERS, type Tier } from "../tiers";
import { asPlatformAdmin, DAY_MS, elapsedMs, type JobDb, reportJob } from "./job-db";

/** The tables retention trims, with their primary key (fixed names, never input). */
export const RETENTION_TABLES = [
  { table: "audit_logs", key: "id" },
  { table: "policy_decisions", key: "decision_id" },
] as const;

export type RetentionTable = (typeof RETENTION_TABLES)[number]["table"];

/** Rows per batch: one batch deletes 5,000 rows in tens of milliseconds (bench/retention.mjs). */
export const RETENTION_BATCH_ROWS = 5_000;
/** Batches per table and run (≤ 250,000 rows per table per hour); the rest waits an hour. */
export const RETENTION_MAX_BATCHES = 50;

export interface RetentionOptions {
  now: Date;
  /** Count what would be deleted, per tier, and delete nothing. */
  dryRun?: boolean;
  batchRows?: number;
  maxBatchesPerTable?: number;
  /** Called after each committed batch (the bench records its timings). */
  onBatch?: (batch: RetentionBatch) => void;
}

export interface RetentionBatch {
  table: RetentionTable;
  rows: number;
  ms: number;
}

export interface RetentionResult {
  dryRun: boolean;
  /** Rows deleted (or, in a dry run, due) per table and tier. */
  deleted: Record<RetentionTable, Record<Tier, number>>;
  batches: number;
  /** False when a table still had due rows after its batch budget (the next run continues). */
  complete: boolean;
  /** The cutoff per tier: rows strictly older go. */
  cutoffs: Record<Tier, Date>;
}

const TIER_NAMES = Object.keys(TIERS) as Tier[];

/** `now` minus each tier's retention days. */
export function retentionCutoffs(now: Date): Record<Tier, Date> {
  const cutoffs = {} as Record<Tier, Date>;
  for (const tier of TIER_NAMES) cutoffs[tier] = new Date(now.getTime() - TIERS[tier].auditRetentionDays * DAY_MS);
  return cutoffs;
}

/**
 * The shared head of the batch and dry-run statements: `due(tier, tenant_id, key)`, the rows of
 * `table` past their tenant's cutoff, tenants from `$1` on in order. Parameters: $1 first tenant,
 * $2 licenses expiring after this still count, $3/$4/$5 Free/Pro/Premium cutoffs, $6 row limit
 * per tenant (NULL: all).
 */
function dueRows(table: RetentionTable, key: string): string {
  return `
    with recursive tenants(tenant_id) as (
      select min(tenant_id)::text from ${table} where tenant_id >= $1
      union all
      select (select min(x.tenant_id)::text from ${table} x where x.tenant_id > t.tenant_id)
      from tenants t where t.tenant_id is not null
    ), tiered as (
      select t.tenant_id, coalesce((
        select l.tier from plugin_user_licenses l
        where l.tenant_id = t.tenant_id and l.revoked_at is null and (l.expires_at is null or l.expires_at > $2)
        order by l.tier = 'Premium' desc limit 1), 'Free') as tier
      from tenants t where t.tenant_id is not null
    ), due as (
      select d.tier, d.tenant_id, x.key from tiered d
      cross join lateral (
        select a.${key} as key from ${table} a
        where a.tenant_id = d.tenant_id
          and a.timestamp < case d.tier when 'Premium' then $5::timestamptz when 'Pro' then $4::timestamptz
                                        else $3::timestamptz end
        order by a.timestamp
        limit $6
      ) x
    )`;
}

/**
 * Deletes up to $6 due rows; answers the count per tier and the last tenant it reached (the
 * largest in the database's collation, hence computed there).
 */
function batchStatement(table: RetentionTable, key: string): string {
  return `${dueRows(table, key)}, batch as materialized (
      select * from due limit $6
    ), gone as (
      delete from ${table} a where a.${key} = any (array(select key from batch)) returning a.${key} as key
    )
    select b.tier, count(*)::int as rows, (select max(tenant_id) from batch) as last_tenant
    from gone g join batch b on b.key = g.key
    group by b.tier`;
}

/** Counts every due row per tier (dry run; reads only). */
function countStatement(table: RetentionTable, key: string): string {
  return `${dueRows(table, key)} select tier, count(*)::int as rows, null::text as last_tenant from due group by tier`;
}

interface TierCount extends Record<string, unknown> {
  tier: Tier;
  rows: number;
  last_tenant: string | null;
}

/** Runs retention once: every table, batch after batch, within the per-table budget. */
export async function runRetention(db: JobDb, options: RetentionOptions, log: Logger): Promise<RetentionResult> {
  const { now, dryRun = false } = options;
  const batchRows = options.batchRows ?? RETENTION_BATCH_ROWS;
  const maxBatches = options.maxBatchesPerTable ?? RETENTION_MAX_BATCHES;
  const cutoffs = retentionCutoffs(now);
  const zero = (): Record<Tier, number> => ({ Free: 0, Pro: 0, Premium: 0 });
  const progress: RetentionResult = {
    dryRun,
    deleted: { audit_logs: zero(), policy_decisions: zero() },
    batches: 0,
    complete: true,
    cutoffs,
  };
  const licenseLiveAfter = new Date(now.getTime() - EXPIRY_GRACE_MS).toISOString();
  const params = (from: string, limit: number | null) => [
    from,
    licenseLiveAfter,
    cutoffs.Free.toISOString(),
    cutoffs.Pro.toISOString(),
    cutoffs.Premium.toISOString(),
    limit,
  ];

  return reportJob(
    "retention",
    log,
    progress,
    async () => {
      await asPlatformAdmin(db);
      for (const { table, key } of RETENTION_TABLES) {
        const counts = progress.deleted[table];
        if (dryRun) {
          for (const row of await db.query<TierCount>(countStatement(table, key), params("", null))) {
            counts[row.tier] += row.rows;
          }
          continue;
        }
        let from = "";
        for (let batch = 0; ; batch++) {
          if (batch === maxBatches) {
            progress.complete = false;
            break;
          }
          const started = performance.now();
          const rows = await db.query<TierCount>(batchStatement(table, key), params(from, batchRows));
          let deleted = 0;
          for (const row of rows) {
            counts[row.tier] += row.rows;
            deleted += row.rows;
            from = row.last_tenant ?? from;
          }
          progress.batches++;
          options.onBatch?.({ table, rows: deleted, ms: elapsedMs(started) });
          if (deleted < batchRows) break;
        }
      }
    },
    retentionFields,
  );
}

/** The counts of the summary line: per tier and per table. */
function retentionFields(result: RetentionResult): LogFields {
  const fields: LogFields = { dryRun: result.dryRun, batches: result.batches, complete: result.complete };
  for (const tier of TIER_NAMES) {
    fields[tier.toLowerCase()] = RETENTION_TABLES.reduce((sum, { table }) => sum + result.deleted[table][tier], 0);
  }
  for (const { table } of RETENTION_TABLES) {
    fields[table] = TIER_NAMES.reduce((sum, tier) => sum + result.deleted[table][tier], 0);
  }
  return fields;
}
