// `npm run bench`: brings up its own local stack (scripts/dev.mjs on ports of its own), measures
// GET /health and the warm authenticated governed call with the same autocannon settings in
// alternating slices, samples the per-request cost header, runs bench/license-verify.mjs if
// present, prints a table and a `BENCH_RESULT {json}` line (also bench/results/latest.json), and
// stops everything. Loopback only; every phase is bounded in count and time. See bench/README.md.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { parseDevVars } from "../scripts/dev-vars.mjs";
import { launchStack, STACK_PORT } from "./lib/stack.mjs";
import {
  buyProLicenses,
  forEachLimited,
  GOVERNED_PATH,
  governedCall,
  governedHeaders,
  parseCost,
  registerTenants,
  request,
} from "./lib/tenants.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(root, "bench", "results");

/** The same autocannon settings for both routes. */
const LOAD = { connections: 20, pipelining: 1 };
const SLICE_SECONDS = 2;
// The routes take turns in 2 s slices, 8 s each in all: /health, the governed call as Free tenants
// and as Pro tenants (license token verified + jti state from the gate). Mirrored order (ABC CBA …)
// cancels a background load that drifts linearly, so the ratios stay comparable.
const SLICES = ["health", "free", "pro", "pro", "free", "health", "health", "free", "pro", "pro", "free", "health"];
const WARMUP_SECONDS = 2;
/** Half Free, half Pro; each half covers ~2,300 governed req/s within PER_TENANT_BUDGET. */
const TENANTS = 200;
/** Free daily quota is 200; the rest covers the warm-up passes and the cost samples. */
const PER_TENANT_BUDGET = 190;
const MAX_WARM_PASSES = 3;
const COST_SAMPLES = 50;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 45_000;
const LICENSE_TIMEOUT_MS = 30_000;
/** Hard stop for the whole run, should any phase hang despite its own bounds. */
const WATCHDOG_MS = 180_000;

const say = (line) => console.log(`[bench] ${line}`);

// What the stack's output tells: code reloads (wrangler rebuilds when a source file changes, which
// drops every Durable Object's memory), error logs, and the gates' usage flushes by tenant.
const seen = { reloads: 0, errors: 0, flushes: 0, flushedAt: new Map() };
function watchLine(line) {
  if (line.includes("Reloading local server")) seen.reloads++;
  // The Worker logs one JSON object a line; wrangler wraps error lines in colour codes.
  const start = line.indexOf('{"');
  if (start < 0) return;
  let entry;
  try {
    entry = JSON.parse(line.slice(start, line.lastIndexOf("}") + 1));
  } catch {
    return;
  }
  if (entry.level === "error" || entry.level === "fatal") seen.errors++;
  if (entry.event === "usage_flushed") {
    seen.flushes++;
    seen.flushedAt.set(entry.tenantId, Date.now());
  }
}

await mkdir(resultsDir, { recursive: true });
const stack = launchStack({
  root,
  logFile: path.join(resultsDir, "stack.log"),
  readyTimeoutMs: READY_TIMEOUT_MS,
  onLine: watchLine,
});

let aborting;
/** Stops the stack and exits; later calls (a signal racing a failing request) join the first. */
function abort(code, message) {
  aborting ??= (async () => {
    if (message) console.error(`[bench] ${message}`);
    await stack.stop();
    process.exit(code);
  })();
  return aborting;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => abort(130, `${signal}: stopping`));
setTimeout(() => abort(1, `gave up after ${WATCHDOG_MS / 1000} s`), WATCHDOG_MS).unref();

try {
  say(`starting the stack on 127.0.0.1:${STACK_PORT} (log: bench/results/stack.log)`);
  await stack.ready;
  const result = await measure();
  await stack.stop();
  say("stack stopped");
  result.license = await licenseVerify();
  report(result);
  await writeFile(path.join(resultsDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  await abort(1, error instanceof Error ? error.message : String(error));
}

async function measure() {
  const health = await request(STACK_PORT, { path: "/health" });
  if (health.status !== 200) throw new Error(`GET /health: HTTP ${health.status}`);
  if (!parseCost(health.headers)) {
    throw new Error("no X-Axonflow-Request-Cost header: does .dev.vars.example list AXONFLOW_EXPOSE_REQUEST_COST?");
  }
  // The isolate's first requests compile and warm up; no measurement should include that.
  await autocannon({ url: `${stack.url}/health`, ...LOAD, duration: WARMUP_SECONDS });

  let started = Date.now();
  const tenants = await registerTenants(STACK_PORT, TENANTS, 4);
  say(`registered ${tenants.length} tenants in ${seconds(started)} s`);
  const free = tenants.slice(0, TENANTS / 2);
  const pro = tenants.slice(TENANTS / 2);
  started = Date.now();
  await buyProLicenses(STACK_PORT, pro, await webhookSecret());
  say(`bought ${pro.length} Pro licenses through the webhook in ${seconds(started)} s`);
  const warmed = await warm(tenants);

  const costs = { free: [], pro: [] };
  for (let i = 0; i < COST_SAMPLES; i++) {
    for (const [group, members] of [
      ["free", free],
      ["pro", pro],
    ]) {
      const cost = parseCost((await governedCall(STACK_PORT, members[i % members.length])).headers);
      if (cost) costs[group].push(cost);
    }
  }

  // Round-robin over each group: every tenant gets the same share and stays far below its quota.
  const issued = { free: 0, pro: 0 };
  const governedRoute = (group, members) => {
    const headers = members.map(governedHeaders);
    return {
      url: `${stack.url}${GOVERNED_PATH}`,
      requests: [
        {
          method: "POST",
          path: GOVERNED_PATH,
          setupRequest: (req) => {
            Object.assign(req.headers, headers[issued[group]++ % headers.length]);
            return req;
          },
        },
      ],
    };
  };
  const routes = {
    health: { url: `${stack.url}/health` },
    free: governedRoute("free", free),
    pro: governedRoute("pro", pro),
  };
  const slices = { health: [], free: [], pro: [] };
  const quotaStop = { free: false, pro: false };
  let current;
  let currentRoute;
  const guard = setInterval(() => {
    for (const group of ["free", "pro"]) {
      if (issued[group] >= (TENANTS / 2) * PER_TENANT_BUDGET) {
        quotaStop[group] = true;
        if (currentRoute === group) current?.stop();
      }
    }
  }, 50);
  const flushesBefore = seen.flushes;
  say(`GET /health and POST ${GOVERNED_PATH} as Free and as Pro tenants, ${SLICES.length} alternating slices`);
  try {
    for (const route of SLICES) {
      if (quotaStop[route]) continue;
      currentRoute = route;
      current = autocannon({ ...routes[route], ...LOAD, duration: SLICE_SECONDS, skipAggregateResult: true });
      slices[route].push(await current);
    }
  } finally {
    clearInterval(guard);
  }
  // A reload before the final warm-up pass is harmless: that pass found every tenant warm.
  const reloads = seen.reloads - warmed.reloadsBeforeFinalPass;
  const flushes = seen.flushes - flushesBefore;

  started = Date.now();
  const drained = await drainUsage(tenants, started);
  say(`usage flushed for ${drained} of ${tenants.length} tenants after ${seconds(started)} s`);

  const healthRun = summarize(slices.health, routes.health.url);
  const governedRun = summarize(slices.free, routes.free.url);
  const proRun = summarize(slices.pro, routes.pro.url);
  const average = (list, pick) => round(list.reduce((sum, cost) => sum + pick(cost), 0) / list.length, 3);
  const costOf = (list) => ({
    samples: list.length,
    do_avg: average(list, (c) => c.doCalls),
    db_avg: average(list, (c) => c.dbQueries),
  });
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    node: process.version,
    load: { ...LOAD, seconds_per_route: (SLICES.length / 2) * SLICE_SECONDS, slices: SLICES.length },
    tenants: tenants.length,
    warm_passes: warmed.passes,
    health: healthRun,
    governed: { ...governedRun, quota_stop: quotaStop.free },
    governed_pro: { ...proRun, quota_stop: quotaStop.pro },
    ratio: {
      rps: round(governedRun.rps / healthRun.rps, 3),
      p50: round(governedRun.p50_ms / healthRun.p50_ms, 3),
      p99: round(governedRun.p99_ms / healthRun.p99_ms, 3),
    },
    pro_vs_free: {
      rps: round(proRun.rps / governedRun.rps, 3),
      p50: round(proRun.p50_ms / governedRun.p50_ms, 3),
      p99: round(proRun.p99_ms / governedRun.p99_ms, 3),
    },
    cost: costOf(costs.free),
    cost_pro: costOf(costs.pro),
    stack: {
      reloads_while_measuring: reloads,
      usage_flushes_while_measuring: flushes,
      error_logs: seen.errors,
      usage_drained: drained,
    },
  };
}

/** The webhook secret the stack runs with (the environment wins over .dev.vars, as in dev.mjs). */
async function webhookSecret() {
  const fromFile = parseDevVars(await readFile(path.join(root, ".dev.vars"), "utf8")).STRIPE_WEBHOOK_SIGNING_SECRET;
  const secret = process.env.STRIPE_WEBHOOK_SIGNING_SECRET ?? fromFile;
  if (!secret) throw new Error("no STRIPE_WEBHOOK_SIGNING_SECRET in .dev.vars");
  return secret;
}

/**
 * Calls every tenant until one whole pass needs no database query. The first call loads the
 * credential into the tenant gate; locally workerd drops a Durable Object idle for ~10 s, so a
 * first pass slower than that leaves its early tenants cold again.
 */
async function warm(tenants) {
  for (let pass = 1; ; pass++) {
    const started = Date.now();
    const reloadsBefore = seen.reloads;
    let cold = 0;
    await forEachLimited(tenants, 8, async (tenant) => {
      if ((parseCost((await governedCall(STACK_PORT, tenant)).headers)?.dbQueries ?? 0) > 0) cold++;
    });
    say(`warm-up pass ${pass}: ${cold} of ${tenants.length} tenants needed Postgres (${seconds(started)} s)`);
    if (cold === 0 || pass === MAX_WARM_PASSES) return { passes: pass, reloadsBeforeFinalPass: reloadsBefore };
  }
}

/**
 * Waits (bounded) until every tenant's gate has flushed its usage after the load ended. Stopping
 * earlier would leave their flush alarms pending in wrangler's Durable Object storage, where they
 * all fire at once when the next stack starts.
 */
async function drainUsage(tenants, sinceMs) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const flushed = () => tenants.filter((t) => (seen.flushedAt.get(t.tenantId) ?? 0) >= sinceMs).length;
  while (flushed() < tenants.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  return flushed();
}

/** Merges one route's slices: latency percentiles over all responses, req/s over the summed time. */
function summarize(runs, url) {
  const run = autocannon.aggregateResult(runs, { url, ...LOAD });
  const ok = run.statusCodeStats["200"]?.count ?? 0;
  const attempts = run.requests.total + run.errors;
  return {
    rps: round(run.requests.total / runs.reduce((sum, slice) => sum + slice.duration, 0), 1),
    p50_ms: run.latency.p50,
    p99_ms: run.latency.p99,
    requests: run.requests.total,
    non200: attempts - ok,
    non200_share: attempts ? round((attempts - ok) / attempts, 4) : 0,
    errors: run.errors,
    status: Object.fromEntries(Object.entries(run.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

/** Output of bench/license-verify.mjs as key → number, or null when the script is absent. */
async function licenseVerify() {
  const script = path.join(root, "bench", "license-verify.mjs");
  if (!existsSync(script)) return null;
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  say("bench/license-verify.mjs");
  const child = spawn(tsx, [script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), LICENSE_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bench/license-verify.mjs failed (exit ${code ?? "killed"})`);
  const figures = {};
  for (const line of output.split("\n")) {
    const match = /^(\w+)=([\d.]+)$/.exec(line.trim());
    if (match) figures[match[1]] = Number(match[2]);
  }
  return figures;
}

function report(result) {
  const {
    health,
    governed,
    governed_pro: governedPro,
    ratio,
    pro_vs_free: proVsFree,
    cost,
    cost_pro: costPro,
  } = result;
  const seenInStack = result.stack;
  const row = (label, cells) => console.log(label.padEnd(42) + cells.map((cell) => String(cell).padStart(10)).join(""));
  const mark = (met) => (met ? "✓" : "✗");
  const percent = (share) => `${(share * 100).toFixed(2)}%`;
  console.log();
  console.log(
    `axonflow-edge bench  ${result.date}  ${result.cpus} CPUs  node ${result.node}  ` +
      `autocannon c=${LOAD.connections} p=${LOAD.pipelining} ${result.load.slices / 2}×${SLICE_SECONDS}s a route  ` +
      `${result.tenants} tenants`,
  );
  row("", ["req/s", "p50 ms", "p99 ms", "requests", "non-200"]);
  row("GET /health", [health.rps, health.p50_ms, health.p99_ms, health.requests, percent(health.non200_share)]);
  for (const [label, run] of [
    [`POST ${GOVERNED_PATH} (Free)`, governed],
    [`POST ${GOVERNED_PATH} (Pro)`, governedPro],
  ]) {
    row(label, [run.rps, run.p50_ms, run.p99_ms, run.requests, percent(run.non200_share)]);
  }
  row("governed Free / health", [ratio.rps, ratio.p50, ratio.p99, "", ""]);
  row("governed Pro / governed Free", [proVsFree.rps, proVsFree.p50, proVsFree.p99, "", ""]);
  console.log(`throughput ratio ${ratio.rps} (target ≥ 0.5 ${mark(ratio.rps >= 0.5)})`);
  console.log(`Pro / Free throughput ${proVsFree.rps} (expected ≈ 1: a license adds no query once warm)`);
  for (const [label, c] of [
    ["Free", cost],
    ["Pro", costPro],
  ]) {
    console.log(
      `cost per warm ${label} request: do=${c.do_avg} db=${c.db_avg} over ${c.samples} samples ` +
        `(target do=1 db=0 ${mark(c.do_avg === 1 && c.db_avg === 0)})`,
    );
  }
  if (governed.quota_stop || governedPro.quota_stop) {
    console.log("note: a governed run stopped early, at the tenants' daily quota budget");
  }
  if (governed.status["429"] || governedPro.status["429"]) {
    console.log("note: 429s: does .dev.vars.example list the COMMUNITY_SAAS_MINUTE_LIMIT* variables the bench raises?");
  }
  if (seenInStack.usage_flushes_while_measuring > 0) {
    console.log(
      `note: ${seenInStack.usage_flushes_while_measuring} usage flushes (Postgres writes) fell into the measurement`,
    );
  }
  if (seenInStack.reloads_while_measuring > 0) {
    console.log("note: the Worker reloaded during the measurement (a source file changed); figures are not comparable");
  }
  if (seenInStack.error_logs > 0) {
    console.log(`note: the stack logged ${seenInStack.error_logs} errors (bench/results/stack.log)`);
  }
  if (result.license) {
    const figures = Object.entries(result.license).map(([key, value]) => `${key}=${value}`);
    console.log(`license-verify: ${figures.join("  ")}`);
  }
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

function seconds(sinceMs) {
  return ((Date.now() - sinceMs) / 1000).toFixed(1);
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}
