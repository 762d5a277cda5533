/**
 * Cron dispatch. Each cron expression of wrangler.toml maps to the jobs it runs (local-dev.md):
 * `0 * * * *` audit retention, then the tenant sweep; `30 4 * * *` the cleanup. The jobs are plain
 * functions (retention.ts, sweep.ts, cleanup.ts) over a `JobDb`; here they get a platform-admin
 * connection of their own, closed when they finish.
 */
import { type Config, loadConfig } from "../config";
import { Database } from "../db/client";
import type { Env } from "../env";
import { errorMessage, type Logger } from "../http/log";
import { invalidateTenantGate } from "../limits/gate-client";
import { runCleanup } from "./cleanup";
import type { JobDb, JobName } from "./job-db";
import { runRetention } from "./retention";
import { runSweep } from "./sweep";

/** Above the jobs' 60 s server-side statement_timeout, so Postgres ends a slow batch first. */
const JOB_CLIENT_TIMEOUT_MS = 65_000;

export type Job = { name: string; run: (env: Env, now: Date, log: Logger) => Promise<void> };

export const HOURLY_CRON = "0 * * * *";
export const DAILY_CLEANUP_CRON = "30 4 * * *";

/**
 * A job on its own axonflow_platform_admin connection (AXONFLOW_DB_PLATFORM_ADMIN_URL). A missing
 * or invalid configuration is logged as `job_failed` like any other failure of the job.
 */
function adminJob(
  name: JobName,
  body: (db: JobDb, config: Config, env: Env, now: Date, log: Logger) => Promise<unknown>,
): Job {
  return {
    name,
    async run(env, now, log) {
      const loaded = loadConfig(env);
      const url = loaded.ok ? loaded.config.AXONFLOW_DB_PLATFORM_ADMIN_URL : undefined;
      if (!loaded.ok || !url) {
        const error = loaded.ok
          ? "AXONFLOW_DB_PLATFORM_ADMIN_URL is not set"
          : `configuration invalid: ${loaded.problems.map((p) => p.variable).join(", ")}`;
        log.log("error", "job_failed", { job: name, error });
        throw new Error(error);
      }
      // Jobs bound their statements in Postgres (statement_timeout); the client waits a little longer.
      const db = new Database({ url, wsProxy: loaded.config.NEON_WS_PROXY, timeoutMs: JOB_CLIENT_TIMEOUT_MS });
      try {
        await body(db, loaded.config, env, now, log);
      } finally {
        await db.close();
      }
    },
  };
}

export const retentionJob = adminJob("retention", (db, _config, _env, now, log) => runRetention(db, { now }, log));

export const sweepJob = adminJob("sweep", (db, config, env, now, log) =>
  runSweep(
    db,
    {
      now,
      enabled: config.COMMUNITY_SAAS_SWEEP_ENABLED,
      dryRun: config.COMMUNITY_SAAS_SWEEP_DRYRUN,
      invalidate: (tenantId) => invalidateTenantGate(env, tenantId),
    },
    log,
  ),
);

export const cleanupJob = adminJob("cleanup", (db, _config, _env, now, log) => runCleanup(db, { now }, log));

/** Jobs per cron expression; an expression without jobs is logged and skipped. */
export const JOBS_BY_CRON: Record<string, readonly Job[]> = {
  [HOURLY_CRON]: [retentionJob, sweepJob],
  [DAILY_CLEANUP_CRON]: [cleanupJob],
};

/** Runs every job of `cron` in order; one failing job is logged and does not stop the rest. */
export async function runScheduled(cron: string, env: Env, log: Logger, now = new Date()): Promise<string[]> {
  const jobs = JOBS_BY_CRON[cron];
  if (!jobs) {
    log.log("warn", "cron_unknown", { cron });
    return [];
  }
  const ran: string[] = [];
  for (const job of jobs) {
    try {
      await job.run(env, now, log.with({ job: job.name }));
      ran.push(job.name);
    } catch (error) {
      log.log("error", "cron_job_failed", { cron, job: job.name, error: errorMessage(error) });
    }
  }
  log.log("info", "cron_ran", { cron, jobs: ran });
  return ran;
}
