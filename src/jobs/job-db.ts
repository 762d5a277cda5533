/**
 * What every job shares: the one database method it needs, the platform-admin check, and the
 * `job_finished` / `job_failed` log lines. Jobs send single statements only (each batch is one
 * statement, so one transaction of its own), which is why `query(text, params)` is enough and both
 * the Worker's Neon client (`Database`) and node-postgres (`scripts/job.ts`) satisfy it.
 */
import { errorMessage, type LogFields, type Logger } from "../http/log";

/** A connection a job runs on: one session (the sweep's advisory lock lives on it). */
export interface JobDb {
  query<Row extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

export type JobName = "retention" | "sweep" | "cleanup";

/** The role every job runs as (decisions.md "Data": only jobs use it). */
export const PLATFORM_ADMIN_ROLE = "axonflow_platform_admin";

export const DAY_MS = 86_400_000;

/**
 * Makes the session run as axonflow_platform_admin and bounds its statements. The Worker connects
 * as that role already; an owner connection (`npm run job` against a superuser URL) switches to it
 * with SET ROLE, so a job never runs with more than the admin's rights. Any other role fails here,
 * before the job touches a row.
 */
export async function asPlatformAdmin(db: JobDb): Promise<void> {
  const [who] = await db.query<{ role: string }>(
    // A batch that cannot finish in 60 s or waits 5 s for a lock fails and is retried next run.
    "select current_user::text as role, set_config('statement_timeout', '60s', false), set_config('lock_timeout', '5s', false)",
  );
  if (who?.role === PLATFORM_ADMIN_ROLE) return;
  await db.query(`set role ${PLATFORM_ADMIN_ROLE}`);
  const [after] = await db.query<{ role: string }>("select current_user::text as role");
  if (after?.role !== PLATFORM_ADMIN_ROLE) throw new Error(`jobs must run as ${PLATFORM_ADMIN_ROLE}`);
}

/**
 * Runs a job body and writes its one summary line: `job_finished` with `fields(progress)` and
 * `durationMs`, or `job_failed` with the same counts (what the committed batches did) and the
 * error, which is then rethrown. `progress` is updated by the body as batches commit.
 */
export async function reportJob<P>(
  job: JobName,
  log: Logger,
  progress: P,
  body: (progress: P) => Promise<void>,
  fields: (progress: P) => LogFields,
): Promise<P> {
  const started = Date.now();
  try {
    await body(progress);
  } catch (error) {
    log.log("error", "job_failed", {
      job,
      ...fields(progress),
      durationMs: Date.now() - started,
      error: errorMessage(error),
    });
    throw error;
  }
  log.log("info", "job_finished", { job, ...fields(progress), durationMs: Date.now() - started });
  return progress;
}

/** Milliseconds since `start` (a `performance.now()` reading), to 0.1 ms. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
