/**
 * CSAAS-SWEEP (platform.md §5.2): deprovisions tenants idle for 3 months (by `last_seen_at`) or
 * created more than a year ago. Per batch, one transaction (csaas_sweep_batch in
 * migrations/070_jobs.sql): tombstone the registration (`terminated_at`, empty secret hash; the row
 * stays so the id is never reused and auth answers "terminated"), then delete the tenants' rows
 * from every table with a tenant_id column that the catalog lists, except the kept ones. After a
 * batch commits, the tenants' gates drop their cached credential so the next request gets 401.
 *
 * One runner at a time: a session advisory lock (the reference's key) held for the whole run; a
 * second runner finds it taken and skips. The batch itself also skips rows another transaction
 * holds, so even without the lock no tenant could be swept twice.
 */
import type { LogFields, Logger } from "../http/log";
import { asPlatformAdmin, type JobDb, reportJob } from "./job-db";

/** `pg_try_advisory_lock(0x07ECC10A55EE7E5)`, the reference's single-runner key, in decimal. */
export const SWEEP_LOCK_KEY = BigInt("0x07ECC10A55EE7E5").toString();
/**
 * Cascade tables this schema has (plugin_user_licenses, audit_logs, policy_decisions,
 * policy_overrides, approval_requests, community_saas_deletion_tokens). Fewer found means the
 * schema is not what the sweep was written for, and it refuses. (The reference expects 8 of its
 * own tables, some of which this schema does not have.)
 */
export const SWEEP_MIN_CASCADE_TABLES = 6;
/** Tenants per batch (one transaction). */
export const SWEEP_BATCH_TENANTS = 25;
/** Batches per run: at most 500 tenants and as many gate calls per run (Workers subrequest budget). */
export const SWEEP_MAX_BATCHES = 20;

export interface SweepOptions {
  now: Date;
  /** `COMMUNITY_SAAS_SWEEP_ENABLED`: off → the job does nothing (not even connect). */
  enabled: boolean;
  /** `COMMUNITY_SAAS_SWEEP_DRYRUN` or `--dry-run`: count the due tenants, change nothing. */
  dryRun: boolean;
  /** Drops a swept tenant's cached gate state (the Worker passes invalidateTenantGate); absent in Node. */
  invalidate?: (tenantId: string) => Promise<boolean>;
  batchTenants?: number;
  maxBatches?: number;
  minCascadeTables?: number;
}

export interface SweepResult {
  dryRun: boolean;
  /** Why nothing ran. */
  skipped?: "disabled" | "locked";
  /** Tenants tombstoned (dry run: due). */
  tenants: number;
  /** Rows deleted per cascade table. */
  rows: Record<string, number>;
  /** The cascade tables found, in delete order. */
  tables: string[];
  batches: number;
  complete: boolean;
  gatesInvalidated: number;
  gatesNotReached: number;
}

interface BatchRow extends Record<string, unknown> {
  tenant_ids: string[];
  due: number;
  cascade_tables: string[];
  deleted_rows: Record<string, number>;
}

/** Runs the sweep once. */
export async function runSweep(db: JobDb, options: SweepOptions, log: Logger): Promise<SweepResult> {
  const { dryRun } = options;
  const batchTenants = options.batchTenants ?? SWEEP_BATCH_TENANTS;
  const maxBatches = options.maxBatches ?? SWEEP_MAX_BATCHES;
  const minTables = options.minCascadeTables ?? SWEEP_MIN_CASCADE_TABLES;
  const progress: SweepResult = {
    dryRun,
    tenants: 0,
    rows: {},
    tables: [],
    batches: 0,
    complete: true,
    gatesInvalidated: 0,
    gatesNotReached: 0,
  };

  return reportJob(
    "sweep",
    log,
    progress,
    async () => {
      if (!options.enabled) {
        progress.skipped = "disabled";
        return;
      }
      await asPlatformAdmin(db);
      const [lock] = await db.query<{ locked: boolean }>("select pg_try_advisory_lock($1::bigint) as locked", [
        SWEEP_LOCK_KEY,
      ]);
      if (!lock?.locked) {
        progress.skipped = "locked";
        return;
      }
      try {
        await sweepBatches(db, { ...options, batchTenants, maxBatches, minTables }, progress, log);
      } finally {
        // A broken connection releases the lock by itself; nothing to do then.
        await db.query("select pg_advisory_unlock($1::bigint)", [SWEEP_LOCK_KEY]).catch(() => {});
      }
    },
    sweepFields,
  );
}

async function sweepBatches(
  db: JobDb,
  options: SweepOptions & { batchTenants: number; maxBatches: number; minTables: number },
  progress: SweepResult,
  log: Logger,
): Promise<void> {
  for (let batch = 0; ; batch++) {
    if (batch === options.maxBatches) {
      progress.complete = false;
      return;
    }
    const [row] = await db.query<BatchRow>(
      "select tenant_ids, due::int as due, cascade_tables, deleted_rows from csaas_sweep_batch($1, $2, $3, $4)",
      [options.now.toISOString(), options.batchTenants, options.minTables, options.dryRun],
    );
    if (!row) throw new Error("csaas_sweep_batch returned no row");
    progress.batches++;
    progress.tables = row.cascade_tables;
    if (options.dryRun) {
      progress.tenants = row.due;
      return;
    }
    progress.tenants += row.tenant_ids.length;
    for (const [table, n] of Object.entries(row.deleted_rows)) progress.rows[table] = (progress.rows[table] ?? 0) + n;
    await invalidateGates(row.tenant_ids, options.invalidate, progress, log);
    if (row.tenant_ids.length < options.batchTenants) return;
  }
}

/** The swept tenants' gates drop their cached credential at once (else within the 60 s TTL). */
async function invalidateGates(
  tenantIds: string[],
  invalidate: SweepOptions["invalidate"],
  progress: SweepResult,
  log: Logger,
): Promise<void> {
  const reached = await Promise.all(tenantIds.map((id) => (invalidate ? invalidate(id) : Promise.resolve(false))));
  tenantIds.forEach((tenantId, i) => {
    if (reached[i]) progress.gatesInvalidated++;
    else progress.gatesNotReached++;
    log.log("info", "tenant_swept", { tenantId, gateInvalidated: reached[i] ?? false });
  });
}

function sweepFields(result: SweepResult): LogFields {
  const fields: LogFields = {
    dryRun: result.dryRun,
    skipped: result.skipped,
    tenants: result.tenants,
    rows: Object.values(result.rows).reduce((sum, n) => sum + n, 0),
    tables: result.tables,
    batches: result.batches,
    complete: result.complete,
    gatesInvalidated: result.gatesInvalidated,
    gatesNotReached: result.gatesNotReached,
  };
  for (const [table, n] of Object.entries(result.rows)) fields[`rows_${table}`] = n;
  return fields;
}
