// `npm run bench`: brings up its own local stack (scripts/dev.mjs on ports of its own), measures
// GET /health and the warm governed calls (the authenticated probe as Free and Pro tenants, MCP
// check_policy and REST check-input) with the same autocannon settings in alternating slices,
// samples the per-request cost header, runs bench/license-verify.mjs and bench/policy-eval.mjs,
// prints a table and a `BENCH_RESULT {json}` line (also bench/results/latest.json), and stops
// everything. Loopback only; every phase is bounded in count and time. See bench/README.md.
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
  governedCall,
  governedHeaders,
  parseCost,
  ROUTES,
  registerTenants,
  request,
} from "./lib/tenants.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(root, "bench", "results");

/** The same autocannon settings for both routes. */
const LOAD = { connections: 20, pipelining: 1 };
const SLICE_SECONDS = 2;
// The routes take turns in 2 s slices, 8 s each in all: /health, the governed probe as Free tenants
// and as Pro tenants (license token verified + jti state from the gate), MCP check_policy and REST
// check-input (policy engine + a deferred gate call for the records). Mirrored order (ABCDE EDCBA …)
// cancels a background load that drifts linearly, so the ratios stay comparable.
const ROUND = ["health", "free", "pro", "mcp", "rest"];
const SLICES = [...ROUND, ...[...ROUND].reverse(), ...ROUND, ...[...ROUND].reverse()];
/** Which route each slice name drives, and whose quota it spends (Free routes share the Free tenants). */
const GROUPS = {
  free: { route: ROUTES.explain, tenants: "free" },
  pro: { route: ROUTES.explain, tenants: "pro" },
  mcp: { route: ROUTES.mcp, tenants: "free" },
  rest: { route: ROUTES.rest, tenants: "free" },
};
const WARMUP_SECONDS = 2;
/** Half Free, half Pro. Few enough that a warm-up pass ends before workerd evicts an idle Durable Object (~10 s). */
const TENANTS = 100;
/** Free daily quota is 200; the rest covers the warm-up passes and the cost samples. */
const PER_TENANT_BUDGET = 185;
const MAX_WARM_PASSES = 3;
const COST_SAMPLES = 50;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 45_000;
/** Hard stop for the whole run, should any phase hang despite its own bounds. */
const WATCHDOG_MS = 240_000;
const EVAL_TIMEOUT_MS = 60_000;

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
  if (entry.event === "gate_flushed") {
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
  result.license = await nodeFigures("license-verify.mjs");
  result.policy = await nodeFigures("policy-eval.mjs");
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

  const costs = { free: [], pro: [], mcp: [], rest: [] };
  for (let i = 0; i < COST_SAMPLES; i++) {
    for (const [name, group] of Object.entries(GROUPS)) {
      const members = group.tenants === "free" ? free : pro;
      const cost = parseCost((await governedCall(STACK_PORT, members[i % members.length], group.route)).headers);
      if (cost) costs[name].push(cost);
    }
  }

  // Round-robin over each tenant set: every tenant gets the same share and stays below its quota.
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
  const slices = { health: [], free: [], pro: [], mcp: [], rest: [] };
  const quotaStop = { free: false, pro: false };
  let current;
  let currentRoute;
  const guard = setInterval(() => {
    for (const set of ["free", "pro"]) {
      if (issued[set] >= (TENANTS / 2) * PER_TENANT_BUDGET) {
        quotaStop[set] = true;
        if (currentRoute && GROUPS[currentRoute]?.tenants === set) current?.stop();
      }
    }
  }, 50);
  const flushesBefore = seen.flushes;
  say(`GET /health and ${Object.keys(GROUPS).length} governed calls, ${SLICES.length} alternating slices`);
  try {
    for (const route of SLICES) {
      if (route !== "health" && quotaStop[GROUPS[route].tenants]) continue;
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

  const runs = Object.fromEntries(Object.keys(slices).map((name) => [name, summarize(slices[name], routes[name].url)]));
  const average = (list, pick) => round(list.reduce((sum, cost) => sum + pick(cost), 0) / list.length, 3);
  const costOf = (list) => ({
    samples: list.length,
    do_avg: average(list, (c) => c.doCalls),
    db_avg: average(list, (c) => c.dbQueries),
    deferred_do_avg: average(list, (c) => c.deferredDoCalls),
  });
  const versus = (a, b) => ({
    rps: round(a.rps / b.rps, 3),
    p50: round(a.p50_ms / b.p50_ms, 3),
    p99: round(a.p99_ms / b.p99_ms, 3),
  });
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    node: process.version,
    load: { ...LOAD, seconds_per_route: (SLICES.length / ROUND.length) * SLICE_SECONDS, slices: SLICES.length },
    tenants: tenants.length,
    warm_passes: warmed.passes,
    health: runs.health,
    governed: { ...runs.free, quota_stop: quotaStop.free },
    governed_pro: { ...runs.pro, quota_stop: quotaStop.pro },
    mcp_check_policy: runs.mcp,
    rest_check_input: runs.rest,
    ratio: versus(runs.free, runs.health),
    pro_vs_free: versus(runs.pro, runs.free),
    mcp_vs_health: versus(runs.mcp, runs.health),
    rest_vs_health: versus(runs.rest, runs.health),
    cost: costOf(costs.free),
    cost_pro: costOf(costs.pro),
    cost_mcp: costOf(costs.mcp),
    cost_rest: costOf(costs.rest),
    stack: {
      reloads_while_measuring: reloads,
      gate_flushes_while_measuring: flushes,
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
    // The checks also load the tenant's governance state (own policies, overrides) into its gate,
    // which the probe does not: Free tenants, who drive the checks, warm both.
    await forEachLimited(tenants, 8, async (tenant) => {
      const routes = tenant.license ? [ROUTES.explain] : [ROUTES.explain, ROUTES.mcp];
      let queries = 0;
      for (const route of routes)
        queries += parseCost((await governedCall(STACK_PORT, tenant, route)).headers)?.dbQueries ?? 0;
      if (queries > 0) cold++;
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

/** Output (`key=number` lines) of a Node-side bench script, run with tsx after the stack has stopped. */
async function nodeFigures(name) {
  const script = path.join(root, "bench", name);
  if (!existsSync(script)) return null;
  const tsx = path.join(root, "node_modules", ".bin", "tsx");
  say(`bench/${name}`);
  const child = spawn(tsx, [script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
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

function report(result) {
  const { health, governed, governed_pro: governedPro, ratio, pro_vs_free: proVsFree } = result;
  const seenInStack = result.stack;
  const row = (label, cells) => console.log(label.padEnd(42) + cells.map((cell) => String(cell).padStart(10)).join(""));
  const mark = (met) => (met ? "✓" : "✗");
  const percent = (share) => `${(share * 100).toFixed(2)}%`;
  console.log();
  console.log(
    `axonflow-edge bench  ${result.date}  ${result.cpus} CPUs  node ${result.node}  ` +
      `autocannon c=${LOAD.connections} p=${LOAD.pipelining} ${result.load.seconds_per_route}s a route  ` +
      `${result.tenants} tenants`,
  );
  row("", ["req/s", "p50 ms", "p99 ms", "requests", "non-200"]);
  for (const [label, run] of [
    ["GET /health", health],
    [`POST ${ROUTES.explain.path} (Free)`, governed],
    [`POST ${ROUTES.explain.path} (Pro)`, governedPro],
    ["MCP tools/call check_policy (Free)", result.mcp_check_policy],
    [`POST ${ROUTES.rest.path} (Free)`, result.rest_check_input],
  ]) {
    row(label, [run.rps, run.p50_ms, run.p99_ms, run.requests, percent(run.non200_share)]);
  }
  for (const [label, r] of [
    ["governed Free / health", ratio],
    ["governed Pro / governed Free", proVsFree],
    ["MCP check_policy / health", result.mcp_vs_health],
    ["REST check-input / health", result.rest_vs_health],
  ]) {
    row(label, [r.rps, r.p50, r.p99, "", ""]);
  }
  console.log(`throughput ratio governed/health ${ratio.rps} (target ≥ 0.5 ${mark(ratio.rps >= 0.5)})`);
  for (const [label, r] of [
    ["MCP check_policy", result.mcp_vs_health],
    ["REST check-input", result.rest_vs_health],
  ]) {
    console.log(`throughput ratio ${label}/health ${r.rps} (target ≥ 0.6 ${mark(r.rps >= 0.6)})`);
  }
  console.log(`Pro / Free throughput ${proVsFree.rps} (expected ≈ 1: a license adds no query once warm)`);
  for (const [label, c] of [
    ["Free probe", result.cost],
    ["Pro probe", result.cost_pro],
    ["MCP check_policy", result.cost_mcp],
    ["REST check-input", result.cost_rest],
  ]) {
    console.log(
      `cost per warm ${label} request: do=${c.do_avg} db=${c.db_avg} (after the response: ${c.deferred_do_avg} gate call) ` +
        `over ${c.samples} samples (target do=1 db=0 ${mark(c.do_avg === 1 && c.db_avg === 0)})`,
    );
  }
  if (governed.quota_stop || governedPro.quota_stop) {
    console.log("note: a governed run stopped early, at the tenants' daily quota budget");
  }
  const throttled = [governed, governedPro, result.mcp_check_policy, result.rest_check_input].some(
    (r) => r.status["429"],
  );
  if (throttled) {
    console.log("note: 429s: does .dev.vars.example list the COMMUNITY_SAAS_MINUTE_LIMIT* variables the bench raises?");
  }
  if (seenInStack.gate_flushes_while_measuring > 0) {
    console.log(
      `note: ${seenInStack.gate_flushes_while_measuring} gate flushes (Postgres writes by Durable Objects) fell into the measurement`,
    );
  }
  if (seenInStack.reloads_while_measuring > 0) {
    console.log("note: the Worker reloaded during the measurement (a source file changed); figures are not comparable");
  }
  if (seenInStack.error_logs > 0) {
    console.log(`note: the stack logged ${seenInStack.error_logs} errors (bench/results/stack.log)`);
  }
  for (const [label, figures] of [
    ["license-verify", result.license],
    ["policy-eval", result.policy],
  ]) {
    if (figures)
      console.log(
        `${label}: ${Object.entries(figures)
          .map(([key, value]) => `${key}=${value}`)
          .join("  ")}`,
      );
  }
  if (result.policy) {
    const { engine_us_per_kb: engine, naive_us_per_kb: naive } = result.policy;
    console.log(`policy evaluation ${engine} µs per KB (target < 300 ${mark(engine < 300)}; per pattern: ${naive})`);
  }
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

function seconds(sinceMs) {
  return ((Date.now() - sinceMs) / 1000).toFixed(1);
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}
