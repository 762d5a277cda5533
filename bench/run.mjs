// `npm run bench`: brings up its own local stack (scripts/dev.mjs on ports of its own), times the
// registrations and Pro purchases (webhook deliveries) that create its tenants, measures GET /health
// and the warm governed calls (the authenticated probe as Free and Pro tenants, MCP check_policy,
// REST check-input and the tool-call audit) with the same autocannon settings in alternating slices,
// samples the per-request cost header, then soaks /health and MCP check_policy at a fixed rate for
// BENCH_SOAK_SECONDS (default 180) counting every answer that waited on Postgres. After the stack
// has stopped it runs bench/license-verify.mjs and bench/policy-eval.mjs and builds and profiles both
// Workers (bundle size, startup CPU). It prints a report and a `BENCH_RESULT {json}` line and writes
// bench/results/latest.{json,md}. Loopback only; every phase is bounded in count and time. See
// bench/README.md.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { parseDevVars } from "../scripts/dev-vars.mjs";
import { consoleReport, markdownReport, TARGETS } from "./lib/report.mjs";
import { soak } from "./lib/soak.mjs";
import { launchStack, STACK_PORT } from "./lib/stack.mjs";
import { costFigures, phaseFigures, ratio, round } from "./lib/stats.mjs";
import {
  buyProLicenses,
  forEachLimited,
  governedCall,
  governedHeaders,
  parseCost,
  ROUTES,
  registerTenants,
  request,
} from "./lib/tenants.mjs";
import { measureWorkers, stopWorkerChildren } from "./lib/workers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(root, "bench", "results");

/** The same autocannon settings for every route. */
const LOAD = { connections: 20, pipelining: 1 };
const SLICE_SECONDS = 2;
// The routes take turns in 2 s slices, 8 s each in all: /health, the governed probe as Free tenants
// and as Pro tenants (license token verified + jti state from the gate), MCP check_policy and REST
// check-input (policy engine + a deferred gate call for the records) and the tool-call audit (a
// deferred gate call for its row). Mirrored order (ABCDEF FEDCBA …) cancels a background load that
// drifts linearly, so the ratios stay comparable.
const ROUND = ["health", "free", "pro", "mcp", "rest", "audit"];
const SLICES = [...ROUND, ...[...ROUND].reverse(), ...ROUND, ...[...ROUND].reverse()];
/**
 * Which route each slice name drives, and whose quota it spends: the Free routes share the Free
 * tenants (200 a day each); the audit runs as the Pro tenants (1000 a day), who also carry the soak.
 */
const GROUPS = {
  free: { route: ROUTES.explain, tenants: "free" },
  pro: { route: ROUTES.explain, tenants: "pro" },
  mcp: { route: ROUTES.mcp, tenants: "free" },
  rest: { route: ROUTES.rest, tenants: "free" },
  audit: { route: ROUTES.audit, tenants: "pro" },
};
/** Daily governed requests per tenant (src/tiers.ts, dailyEvents). */
const QUOTA = { free: 200, pro: 1000 };
/** Kept free of each tenant's quota beyond what the bench counts (setupRequest counts early). */
const QUOTA_MARGIN = 5;
const WARMUP_SECONDS = 2;
/** Half Free, half Pro. Few enough that a warm-up pass ends before workerd evicts an idle Durable Object (~10 s). */
const TENANTS = 100;
const REGISTER_CONCURRENCY = 4;
const WEBHOOK_CONCURRENCY = 4;
const MAX_WARM_PASSES = 3;
const COST_SAMPLES = 50;
/**
 * The soak: /health and MCP check_policy as the 50 Pro tenants, alternating request by request,
 * SOAK_RATE requests a second in all. 25 governed a second over 50 tenants is one request per tenant
 * every 2 s, well inside workerd's ~10 s idle eviction of a Durable Object, and 90 of a Pro tenant's
 * 1000 a day over 180 s.
 */
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 180);
const SOAK_RATE = 50;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 45_000;
/** A gate flush this long after a tenant's last answer counts as covering it (the deferred record call). */
const DRAIN_SLACK_MS = 250;
/**
 * Hard stops, should any phase hang despite its own bounds: one for the phases with the stack up
 * (start, tenants, warm-up, slices, drain and stop take ≈ 3 min and are bounded at ≈ 10; plus the
 * soak), one for what runs after it (the Node figures, at most 1 min each, and the Worker builds and
 * profiles, ≈ 1.5 min in all, each wrangler at most 2 min).
 */
const STACK_WATCHDOG_MS = (600 + SOAK_SECONDS) * 1000;
const AFTER_STACK_WATCHDOG_MS = 480_000;
const EVAL_TIMEOUT_MS = 60_000;
if (!Number.isFinite(SOAK_SECONDS) || SOAK_SECONDS < 0) {
  console.error("[bench] BENCH_SOAK_SECONDS must be a number of seconds ≥ 0");
  process.exit(1);
}

const say = (line) => console.log(`[bench] ${line}`);

// What the stack's output tells: code reloads (wrangler rebuilds when a source file changes, which
// drops every Durable Object's memory), error logs, and the gates' usage flushes by tenant.
const seen = { reloads: 0, reloadedAt: [], errors: 0, errorEvents: {}, flushes: 0, flushedAt: new Map() };
function watchLine(line) {
  if (line.includes("Reloading local server")) {
    seen.reloads++;
    seen.reloadedAt.push(Date.now());
  }
  // The Worker logs one JSON object a line; wrangler wraps error lines in colour codes.
  const start = line.indexOf('{"');
  if (start < 0) return;
  let entry;
  try {
    entry = JSON.parse(line.slice(start, line.lastIndexOf("}") + 1));
  } catch {
    return;
  }
  if (entry.level === "error" || entry.level === "fatal") {
    seen.errors++;
    const event = String(entry.event ?? entry.message ?? "?");
    seen.errorEvents[event] = (seen.errorEvents[event] ?? 0) + 1;
  }
  if (entry.event === "gate_flushed") {
    seen.flushes++;
    seen.flushedAt.set(entry.tenantId, Date.now());
  }
}

const startedAt = Date.now();
await mkdir(resultsDir, { recursive: true });
const stack = launchStack({
  root,
  logFile: path.join(resultsDir, "stack.log"),
  readyTimeoutMs: READY_TIMEOUT_MS,
  onLine: watchLine,
});

let nodeChild;
let aborting;
/** Stops the stack and every child, and exits; later calls (a signal racing a failing request) join the first. */
function abort(code, message) {
  aborting ??= (async () => {
    if (message) console.error(`[bench] ${message}`);
    stopWorkerChildren();
    if (nodeChild && nodeChild.exitCode === null) nodeChild.kill("SIGKILL");
    await stack.stop();
    process.exit(code);
  })();
  return aborting;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => abort(130, `${signal}: stopping`));
let watchdog;
function armWatchdog(ms, phase) {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => abort(1, `gave up after ${ms / 1000} s ${phase}`), ms);
  watchdog.unref();
}
armWatchdog(STACK_WATCHDOG_MS, "with the stack up");

try {
  say(`starting the stack on 127.0.0.1:${STACK_PORT} (log: bench/results/stack.log)`);
  await stack.ready;
  const result = await measure();
  await stack.stop();
  say("stack stopped");
  armWatchdog(AFTER_STACK_WATCHDOG_MS, "after the stack stopped");
  result.license = await nodeFigures("license-verify.mjs");
  result.policy = await nodeFigures("policy-eval.mjs");
  result.workers = await measureWorkers({ root, resultsDir, log: say });
  result.wall_s = round((Date.now() - startedAt) / 1000, 1);
  console.log(consoleReport(result, { targets: TARGETS, load: LOAD }));
  const markdown = markdownReport(result, { targets: TARGETS });
  console.log(markdown);
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  await writeFile(path.join(resultsDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(path.join(resultsDir, "latest.md"), markdown);
  say(`wrote bench/results/latest.json and latest.md (${result.wall_s} s in all)`);
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

  // Registration allows 5 per IP and hour, so it cannot be load-tested: these are the 100 the bench
  // needs, timed one by one, REGISTER_CONCURRENCY at a time.
  const registerTimings = [];
  let started = Date.now();
  const tenants = await registerTenants(STACK_PORT, TENANTS, REGISTER_CONCURRENCY, { timings: registerTimings });
  const register = phaseFigures(registerTimings, 201, Date.now() - started, REGISTER_CONCURRENCY);
  say(`registered ${tenants.length} tenants in ${register.wall_s} s`);
  const free = tenants.slice(0, TENANTS / 2);
  const pro = tenants.slice(TENANTS / 2);
  const webhookTimings = [];
  started = Date.now();
  await buyProLicenses(STACK_PORT, pro, await webhookSecret(), {
    timings: webhookTimings,
    concurrency: WEBHOOK_CONCURRENCY,
  });
  const webhook = phaseFigures(webhookTimings, 200, Date.now() - started, WEBHOOK_CONCURRENCY);
  say(`bought ${pro.length} Pro licenses through the webhook in ${webhook.wall_s} s`);

  // Governed requests per tenant outside the slices (warm-up, samples), and when each tenant last got
  // an answer (the drain waits for a gate flush after it).
  const used = new Map();
  const lastAnswerAt = new Map();
  const call = async (tenant, route) => {
    used.set(tenant.tenantId, (used.get(tenant.tenantId) ?? 0) + 1);
    const res = await governedCall(STACK_PORT, tenant, route);
    lastAnswerAt.set(tenant.tenantId, Date.now());
    return res;
  };
  const mostUsed = (set) => Math.max(...set.map((t) => used.get(t.tenantId) ?? 0));

  // The checks also load the tenant's governance state (own policies, overrides) into its gate,
  // which the probe and the audit do not: every tenant warms both (the Pro ones carry the soak).
  const warmed = await warm(tenants, () => [ROUTES.explain, ROUTES.mcp], call);

  // A sample that fails (a 503 when Postgres is slow to connect on a loaded machine) is left out and
  // counted; `samples` in the report says how many each average is over.
  const costs = { free: [], pro: [], mcp: [], rest: [], audit: [] };
  let failedSamples = 0;
  for (let i = 0; i < COST_SAMPLES; i++) {
    for (const [name, group] of Object.entries(GROUPS)) {
      const members = group.tenants === "free" ? free : pro;
      try {
        costs[name].push(parseCost((await call(members[i % members.length], group.route)).headers));
      } catch {
        failedSamples++;
      }
    }
  }

  // The soak's share of each Pro tenant's quota, kept back from the slices.
  const soakPerTenant = Math.ceil((SOAK_SECONDS * SOAK_RATE) / 2 / pro.length) + MAX_WARM_PASSES;
  const sliceBudget = {
    free: QUOTA.free - mostUsed(free) - QUOTA_MARGIN,
    pro: QUOTA.pro - mostUsed(pro) - soakPerTenant - QUOTA_MARGIN,
  };
  // Round-robin over each tenant set: every tenant gets the same share, at most ⌈issued / 50⌉.
  const issued = { free: 0, pro: 0 };
  const governedRoute = ({ route, tenants: set }) => {
    const headers = (set === "free" ? free : pro).map(governedHeaders);
    return {
      url: `${stack.url}${route.path}`,
      requests: [
        {
          method: "POST",
          path: route.path,
          body: route.body,
          setupRequest: (req) => {
            Object.assign(req.headers, headers[issued[set]++ % headers.length]);
            return req;
          },
        },
      ],
    };
  };
  const routes = { health: { url: `${stack.url}/health` } };
  for (const [name, group] of Object.entries(GROUPS)) routes[name] = governedRoute(group);
  const slices = Object.fromEntries(ROUND.map((name) => [name, []]));
  const quotaStop = { free: false, pro: false };
  const lastSliceEnd = {};
  let current;
  let currentRoute;
  const guard = setInterval(() => {
    for (const set of ["free", "pro"]) {
      if (issued[set] >= (TENANTS / 2) * sliceBudget[set]) {
        quotaStop[set] = true;
        if (currentRoute && GROUPS[currentRoute]?.tenants === set) current?.stop();
      }
    }
  }, 50);
  const flushesBefore = seen.flushes;
  say(`GET /health and ${Object.keys(GROUPS).length} governed calls, ${SLICES.length} alternating slices`);
  try {
    for (const route of SLICES) {
      const set = GROUPS[route]?.tenants;
      if (set && quotaStop[set]) continue;
      currentRoute = route;
      current = autocannon({ ...routes[route], ...LOAD, duration: SLICE_SECONDS, skipAggregateResult: true });
      slices[route].push(await current);
      if (set) lastSliceEnd[set] = Date.now();
    }
  } finally {
    clearInterval(guard);
  }
  for (const set of ["free", "pro"]) {
    for (const tenant of set === "free" ? free : pro) lastAnswerAt.set(tenant.tenantId, lastSliceEnd[set] ?? 0);
  }
  // A reload before the final warm-up pass is harmless: that pass found every tenant warm.
  const sliceReloads = seen.reloads - warmed.reloadsBeforeFinalPass;
  const sliceFlushes = seen.flushes - flushesBefore;

  let soaked = null;
  if (SOAK_SECONDS > 0) {
    // The probe and the audit do not touch the governance state, so the Pro tenants' copy, loaded at
    // the warm-up more than 60 s ago, has expired: load it again before the clock starts.
    const soakWarm = await warm(pro, () => [ROUTES.mcp], call);
    const cap = QUOTA.pro - mostUsed(pro) - Math.ceil(issued.pro / pro.length) - QUOTA_MARGIN;
    const soakFlushesBefore = seen.flushes;
    const soakReloadsBefore = seen.reloads;
    const soakErrorsBefore = seen.errors;
    say(`soak: ${SOAK_SECONDS} s at ${SOAK_RATE} req/s, GET /health and MCP check_policy as ${pro.length} Pro tenants`);
    soaked = await soak({
      port: STACK_PORT,
      seconds: SOAK_SECONDS,
      rate: SOAK_RATE,
      route: ROUTES.mcp,
      tenants: pro,
      perTenantCap: cap,
      lastAnswerAt,
    });
    soaked.warm_passes = soakWarm.passes;
    soaked.warm_last_pass = { cold: soakWarm.cold, failed: soakWarm.failed };
    soaked.gate_flushes = seen.flushes - soakFlushesBefore;
    soaked.reloads = seen.reloads - soakReloadsBefore;
    // A reload drops every Durable Object's memory: the next request of each tenant waits on Postgres.
    for (const minute of soaked.per_minute) {
      const from = soaked.started_at_ms + (minute.minute - 1) * 60_000;
      minute.reloads = seen.reloadedAt.filter((at) => at >= from && at < from + 60_000).length;
    }
    soaked.error_logs = seen.errors - soakErrorsBefore;
    say(`soak done: ${soaked.db_waits} governed answers waited on Postgres, p99 ratio ${soaked.p99_ratio}`);
  }

  started = Date.now();
  const drained = await drainUsage(tenants, lastAnswerAt);
  say(`usage flushed for ${drained} of ${tenants.length} tenants after ${seconds(started)} s`);

  const runs = Object.fromEntries(
    Object.keys(slices).map((name) => [name, summarize(slices[name], routes[name].url, GROUPS[name]?.route.status)]),
  );
  const versus = (a, b) => ({
    rps: ratio(a.rps, b.rps),
    p50: ratio(a.p50_ms, b.p50_ms),
    p99: ratio(a.p99_ms, b.p99_ms),
  });
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    loadavg: os.loadavg().map((value) => round(value, 2)),
    node: process.version,
    load: { ...LOAD, seconds_per_route: (SLICES.length / ROUND.length) * SLICE_SECONDS, slices: SLICES.length },
    tenants: tenants.length,
    warm_passes: warmed.passes,
    warm_last_pass: { cold: warmed.cold, failed: warmed.failed },
    failed_cost_samples: failedSamples,
    register,
    webhook,
    health: runs.health,
    governed: { ...runs.free, quota_stop: quotaStop.free },
    governed_pro: { ...runs.pro, quota_stop: quotaStop.pro },
    mcp_check_policy: runs.mcp,
    rest_check_input: runs.rest,
    audit_tool_call: { ...runs.audit, quota_stop: quotaStop.pro },
    ratio: versus(runs.free, runs.health),
    pro_vs_free: versus(runs.pro, runs.free),
    mcp_vs_health: versus(runs.mcp, runs.health),
    rest_vs_health: versus(runs.rest, runs.health),
    audit_vs_health: versus(runs.audit, runs.health),
    cost: costFigures(costs.free),
    cost_pro: costFigures(costs.pro),
    cost_mcp: costFigures(costs.mcp),
    cost_rest: costFigures(costs.rest),
    cost_audit: costFigures(costs.audit),
    cost_register: costFigures(registerTimings.filter((t) => t.status === 201).map((t) => t.cost)),
    // The public Worker forwards the webhook to the billing Worker and sets the header on the way
    // out: it counts the forward only, not the billing Worker's queries behind the service binding.
    cost_webhook: { ...costFigures(webhookTimings.map((t) => t.cost)), public_worker_only: true },
    quota: { per_tenant: QUOTA, slice_budget_per_tenant: sliceBudget, soak_reserved_per_tenant: soakPerTenant },
    soak: soaked,
    stack: {
      reloads_while_measuring: sliceReloads,
      gate_flushes_while_measuring: sliceFlushes,
      error_logs: seen.errors,
      error_events: seen.errorEvents,
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
 * Calls every tenant on `routesOf(tenant)` until one whole pass needs no database query. The first
 * call loads the credential into the tenant gate; locally workerd drops a Durable Object idle for
 * ~10 s, so a first pass slower than that leaves its early tenants cold again.
 */
async function warm(tenants, routesOf, call) {
  for (let pass = 1; ; pass++) {
    const started = Date.now();
    const reloadsBefore = seen.reloads;
    let cold = 0;
    let failed = 0;
    await forEachLimited(tenants, 8, async (tenant) => {
      let queries = 0;
      for (const route of routesOf(tenant)) {
        try {
          queries += parseCost((await call(tenant, route)).headers)?.dbQueries ?? 0;
        } catch {
          // A 503 (Postgres slow to connect on a loaded machine): the tenant is not warm yet.
          failed++;
          queries++;
        }
      }
      if (queries > 0) cold++;
    });
    const failures = failed ? `, ${failed} calls failed` : "";
    say(
      `warm-up pass ${pass}: ${cold} of ${tenants.length} tenants needed Postgres${failures} (${seconds(started)} s)`,
    );
    if (cold === 0 || pass === MAX_WARM_PASSES)
      return { passes: pass, cold, failed, reloadsBeforeFinalPass: reloadsBefore };
  }
}

/**
 * Waits (bounded) until every tenant's gate has flushed its usage after its last answer. Stopping
 * earlier would leave their flush alarms pending in wrangler's Durable Object storage, where they
 * all fire at once when the next stack starts.
 */
async function drainUsage(tenants, lastAnswerAt) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const flushed = () =>
    tenants.filter((t) => (seen.flushedAt.get(t.tenantId) ?? 0) >= (lastAnswerAt.get(t.tenantId) ?? 0) + DRAIN_SLACK_MS)
      .length;
  while (flushed() < tenants.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  return flushed();
}

/** Merges one route's slices: latency percentiles over all responses, req/s over the summed time. */
function summarize(runs, url, okStatus = 200) {
  const run = autocannon.aggregateResult(runs, { url, ...LOAD });
  const ok = run.statusCodeStats[String(okStatus)]?.count ?? 0;
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

/** Output (`key=number` lines) of a Node-side bench script, run with tsx after the stack has stopped. */
async function nodeFigures(name) {
  const script = path.join(root, "bench", name);
  if (!existsSync(script)) return null;
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  say(`bench/${name}`);
  const child = spawn(tsx, [script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  nodeChild = child;
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), EVAL_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bench/${name} failed (exit ${code ?? "killed"})`);
  const figures = {};
  for (const line of output.split("\n")) {
    const match = /^(\w+)=([\d.]+)$/.exec(line.trim());
    if (match) figures[match[1]] = Number(match[2]);
  }
  return figures;
}

function seconds(sinceMs) {
  return ((Date.now() - sinceMs) / 1000).toFixed(1);
}
