// `npm run job -- retention|sweep|cleanup [--dry-run]`: runs one cron job once against
// DATABASE_URL (default: the local dev database) with node-postgres, through the same functions
// the Worker's cron handler calls. The connection may be the platform admin's or an owner's (the
// job switches to axonflow_platform_admin with SET ROLE and refuses any other role). Prints the
// job's JSON log lines; exits 1 when the job fails. Asked for by name, the sweep runs whatever
// COMMUNITY_SAAS_SWEEP_ENABLED says, and honours COMMUNITY_SAAS_SWEEP_DRYRUN=true; from Node it
// cannot reach the tenant gates, whose cached credentials then expire within their 60 s TTL.
import pg from "pg";
import { createLogger, errorMessage } from "../src/http/log";
import { runCleanup } from "../src/jobs/cleanup";
import type { JobDb } from "../src/jobs/job-db";
import { runRetention } from "../src/jobs/retention";
import { runSweep } from "../src/jobs/sweep";

const JOBS = ["retention", "sweep", "cleanup"] as const;
type JobArg = (typeof JOBS)[number];

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith("-"));
const unknown = args.filter((arg) => arg.startsWith("-") && arg !== "--dry-run");
if (!JOBS.includes(name as JobArg) || unknown.length > 0) {
  console.error("usage: npm run job -- retention|sweep|cleanup [--dry-run]   (DATABASE_URL selects the database)");
  process.exit(2);
}
const job = name as JobArg;
const dryRun = args.includes("--dry-run");
const url =
  process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.PGPORT ?? 15432}/axonflow`;

const client = new pg.Client({ connectionString: url });
const db: JobDb = {
  query: async <Row extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    (await client.query<Row>(text, params)).rows,
};
const log = createLogger({ job, source: "npm run job" });
const now = new Date();

let code = 0;
let connected = false;
try {
  await client.connect();
  connected = true;
  if (job === "retention") await runRetention(db, { now, dryRun }, log);
  else if (job === "cleanup") await runCleanup(db, { now, dryRun }, log);
  else {
    const envDryRun = process.env.COMMUNITY_SAAS_SWEEP_DRYRUN?.trim().toLowerCase() === "true";
    await runSweep(db, { now, enabled: true, dryRun: dryRun || envDryRun }, log);
  }
} catch (error) {
  // The job logged job_failed with its reason; a connection failure has not been logged yet.
  if (!connected) log.log("error", "job_failed", { error: errorMessage(error) });
  code = 1;
} finally {
  await client.end().catch(() => {});
}
process.exit(code);
