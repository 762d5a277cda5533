/**
 * Cron dispatch. Each cron expression of wrangler.toml maps to the jobs it runs; the jobs
 * themselves (retention, sweep, cleanup) are plain functions added by the jobs work.
 */
import type { Env } from "../env";
import { errorMessage, type Logger } from "../http/log";

export type Job = { name: string; run: (env: Env, now: Date, log: Logger) => Promise<void> };

export const HOURLY_CRON = "0 * * * *";
export const DAILY_CLEANUP_CRON = "30 4 * * *";

/** Jobs per cron expression; an expression without jobs is logged and skipped. */
export const JOBS_BY_CRON: Record<string, readonly Job[]> = {
  [HOURLY_CRON]: [],
  [DAILY_CLEANUP_CRON]: [],
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
