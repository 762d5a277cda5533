// The bench's report: a console table with the targets, and a markdown report whose first table has
// the columns of bench/README.md's recorded tables (plus the routes added since), then register,
// webhook, soak and cold-start figures.
import { ROUTES } from "./tenants.mjs";

/** Targets (issue 13). */
export const TARGETS = {
  governedVsHealth: 0.6,
  soakP99Ratio: 1.2,
  publicGzipKiB: 250,
  startupCpuMs: 30,
  policyUsPerKb: 300,
};

const mark = (met) => (met ? "✓" : "✗");
const percent = (share) => `${(share * 100).toFixed(2)}%`;
const show = (value) => (value === null || value === undefined ? "–" : String(value));

/** The governed routes of the slices: label, result key, cost key, ratio key. */
const GOVERNED = [
  { label: `POST ${ROUTES.explain.path} (Free)`, short: "probe Free", run: "governed", cost: "cost", vs: "ratio" },
  { label: `POST ${ROUTES.explain.path} (Pro)`, short: "probe Pro", run: "governed_pro", cost: "cost_pro" },
  {
    label: "MCP tools/call check_policy (Free)",
    short: "MCP check_policy",
    run: "mcp_check_policy",
    cost: "cost_mcp",
    vs: "mcp_vs_health",
  },
  {
    label: `POST ${ROUTES.rest.path} (Free)`,
    short: "REST check-input",
    run: "rest_check_input",
    cost: "cost_rest",
    vs: "rest_vs_health",
  },
  {
    label: `POST ${ROUTES.audit.path} (Pro)`,
    short: "audit tool-call",
    run: "audit_tool_call",
    cost: "cost_audit",
    vs: "audit_vs_health",
  },
];

const costMet = (c) => c.do_avg === 1 && c.db_avg === 0;

export function consoleReport(result, { targets = TARGETS, load }) {
  const lines = [];
  const out = (line = "") => lines.push(line);
  const row = (label, cells, width = 10) =>
    out(label.padEnd(48) + cells.map((cell) => show(cell).padStart(width)).join(""));
  out();
  out(
    `axonflow-edge bench  ${result.date}  ${result.cpus} CPUs (load ${result.loadavg.join(" ")})  node ${result.node}  ` +
      `autocannon c=${load.connections} p=${load.pipelining} ${result.load.seconds_per_route}s a route  ` +
      `${result.tenants} tenants  ${result.wall_s} s in all`,
  );
  row("", ["req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "do", "db", "deferred"]);
  const costCells = (c) => (c && !c.public_worker_only ? [c.do_avg, c.db_avg, c.deferred_do_avg] : ["–", "–", "–"]);
  row("GET /health", [
    result.health.rps,
    result.health.p50_ms,
    result.health.p99_ms,
    result.health.requests,
    percent(result.health.non200_share),
    "",
    "",
    "",
  ]);
  for (const [label, phase, cost] of [
    [`POST /api/v1/register (${result.register.concurrency} at a time)`, result.register, result.cost_register],
    [
      `POST /api/v1/billing/stripe-webhook (${result.webhook.concurrency} at a time)`,
      result.webhook,
      result.cost_webhook,
    ],
  ]) {
    const other = Object.entries(phase.other_status).map(([status, count]) => `${count}×${status}`);
    row(label, [phase.rps, phase.p50_ms, phase.p99_ms, phase.ok, other.join(" ") || "0", ...costCells(cost)]);
  }
  for (const route of GOVERNED) {
    const run = result[route.run];
    row(route.label, [
      run.rps,
      run.p50_ms,
      run.p99_ms,
      run.requests,
      percent(run.non200_share),
      ...costCells(result[route.cost]),
    ]);
  }
  for (const route of GOVERNED.filter((r) => r.vs)) {
    const r = result[route.vs];
    row(`${route.short} / health`, [r.rps, r.p50, r.p99]);
  }
  row("probe Pro / probe Free", [result.pro_vs_free.rps, result.pro_vs_free.p50, result.pro_vs_free.p99]);
  out(
    `register: ${result.register.ok} of ${result.register.requests} requests answered 201 ` +
      `(others: ${JSON.stringify(result.register.other_status)}; a 429 is a source address spent by an earlier run); ` +
      "registration allows 5 per IP and hour, so it is timed here, not load-tested",
  );
  out(
    "webhook: the public Worker forwards it over the service binding and its cost header counts only the forward " +
      `(do=${show(result.cost_webhook.do_avg)} db=${show(result.cost_webhook.db_avg)}), not the billing Worker's queries`,
  );
  for (const route of GOVERNED.filter((r) => r.vs)) {
    const r = result[route.vs];
    out(
      `throughput ratio ${route.short}/health ${show(r.rps)} (target ≥ ${targets.governedVsHealth} ${mark(r.rps >= targets.governedVsHealth)})`,
    );
  }
  out(
    `probe Pro / probe Free throughput ${show(result.pro_vs_free.rps)} (expected ≈ 1: a license adds no query once warm)`,
  );
  for (const route of GOVERNED) {
    const c = result[route.cost];
    out(
      `cost per warm ${route.short} request (${c.samples} samples): on the response path do=${show(c.do_avg)} db=${show(c.db_avg)} ` +
        `(target do=1 db=0 ${mark(costMet(c))}); after the response deferred_do=${show(c.deferred_do_avg)}`,
    );
  }

  const soak = result.soak;
  if (soak) {
    out();
    out(
      `soak ${soak.seconds} s at ${soak.rate_per_s} req/s: GET /health and MCP check_policy alternating, ` +
        `${soak.tenants} Pro tenants, one governed request per tenant every ${soak.seconds_between_a_tenants_requests} s`,
    );
    row("", ["requests", "non-200", "p50 ms", "p99 ms"]);
    row("  GET /health", [soak.health.requests, soak.health.non_ok, soak.health.p50_ms, soak.health.p99_ms]);
    row("  MCP check_policy (Pro)", [
      soak.governed.requests,
      soak.governed.non_ok,
      soak.governed.p50_ms,
      soak.governed.p99_ms,
    ]);
    for (const [label, side] of [
      ["health", soak.health],
      ["governed", soak.governed],
    ]) {
      if (side.errors > 0)
        out(`  ${label}: ${side.errors} requests got no answer: ${JSON.stringify(side.error_messages)}`);
    }
    const c = soak.governed.cost;
    out(
      `  cost of every governed answer (${c.samples}, ${c.missing} without the header): on the response path ` +
        `do=${show(c.do_avg)} (max ${show(c.do_max)}) db=${show(c.db_avg)}; after the response deferred_do=${show(c.deferred_do_avg)}`,
    );
    out(`  answers that waited on Postgres (db>0): ${soak.db_waits} (target 0 ${mark(soak.db_waits === 0)})`);
    for (const wait of soak.db_wait_examples) out(`    at ${wait.at_s} s, tenant ${wait.tenant}: db=${wait.db}`);
    out(
      `  governed p99 / health p99: ${show(soak.p99_ratio)} (target ≤ ${targets.soakP99Ratio} ${mark(soak.p99_ratio !== null && soak.p99_ratio <= targets.soakP99Ratio)}); p50 ratio ${show(soak.p50_ratio)}`,
    );
    row("  minute", ["health p99", "gov. p99", "ratio", "gov. reqs", "db>0", "reloads"]);
    for (const m of soak.per_minute) {
      row(`  ${m.minute}`, soakMinuteCells(m));
    }
    out(
      `  ${soak.gate_flushes} gate flushes during the soak; warm-up passes before it ${soak.warm_passes}; ` +
        `skipped slots ${soak.skipped_slots}; worst send lag ${soak.max_send_lag_ms} ms`,
    );
    if (soak.quota_stop) out("  note: the soak stopped early, at the Pro tenants' daily quota budget");
    if (soak.reloads > 0) {
      out(
        `  note: the Worker reloaded ${soak.reloads} times during the soak (a source file changed): each reload empties every gate`,
      );
    }
  }

  out();
  out(
    "cold start (wrangler deploy --dry-run --outdir; gzip = zlib default level, KiB = 1024 bytes; startup = wrangler check startup)",
  );
  row("", ["raw bytes", "gzip KiB", "startup ms", "JS ms", "GC ms", "program ms"], 12);
  for (const [name, w] of Object.entries(result.workers ?? {})) {
    if (w.error) {
      out(`${name} Worker (${w.config}): ${w.error.split("\n")[0]}`);
      continue;
    }
    row(
      `${name} Worker (${w.config})`,
      [
        w.raw_bytes,
        w.gzip_kib,
        w.startup_cpu_ms,
        w.startup_breakdown_ms.js,
        w.startup_breakdown_ms.gc,
        w.startup_breakdown_ms.program,
      ],
      12,
    );
    out(
      `  startup CPU of the ${w.startup_runs_ms.length} profiles: ${w.startup_runs_ms.join(", ")} ms; least ${w.startup_cpu_ms}, ` +
        `median ${w.startup_median_ms} (least kept in ${w.profile})`,
    );
  }
  const publicWorker = result.workers?.public;
  if (publicWorker && !publicWorker.error) {
    out(
      `public Worker ${publicWorker.gzip_kib} KiB gzip (target ≤ ${targets.publicGzipKiB} ${mark(publicWorker.gzip_kib <= targets.publicGzipKiB)}), ` +
        `startup CPU ${publicWorker.startup_cpu_ms} ms (target ≤ ${targets.startupCpuMs} ${mark(publicWorker.startup_cpu_ms <= targets.startupCpuMs)})`,
    );
  }

  out();
  const governedRuns = GOVERNED.map((route) => result[route.run]);
  if (governedRuns.some((run) => run.quota_stop))
    out("note: a governed run stopped early, at the tenants' daily quota budget");
  if (governedRuns.some((run) => run.status["429"]) || result.soak?.governed.status["429"]) {
    out("note: 429s: does .dev.vars.example list the COMMUNITY_SAAS_MINUTE_LIMIT* variables the bench raises?");
  }
  const stack = result.stack;
  if (stack.gate_flushes_while_measuring > 0) {
    out(
      `note: ${stack.gate_flushes_while_measuring} gate flushes (Postgres writes by Durable Objects) fell into the slices`,
    );
  }
  if (stack.reloads_while_measuring > 0 || result.soak?.reloads > 0) {
    out("note: the Worker reloaded during the measurement (a source file changed); figures are not comparable");
  }
  if (stack.error_logs > 0) {
    out(
      `note: the stack logged ${stack.error_logs} errors (bench/results/stack.log): ${JSON.stringify(stack.error_events)}`,
    );
  }
  if (result.warm_last_pass.cold > 0) {
    out(
      `note: the last warm-up pass still found ${result.warm_last_pass.cold} tenants cold ` +
        `(${result.warm_last_pass.failed} calls failed): a pass took longer than workerd's ~10 s eviction of an idle Durable Object`,
    );
  }
  if (result.soak?.warm_last_pass.cold > 0) {
    out(`note: the soak's last warm-up pass still found ${result.soak.warm_last_pass.cold} Pro tenants cold`);
  }
  if (result.failed_cost_samples > 0) out(`note: ${result.failed_cost_samples} cost samples failed (left out)`);
  out(`usage flushed after the load for ${stack.usage_drained} of ${result.tenants} tenants`);
  for (const [label, figures] of [
    ["license-verify", result.license],
    ["policy-eval", result.policy],
  ]) {
    if (figures) {
      out(
        `${label}: ${Object.entries(figures)
          .map(([key, value]) => `${key}=${value}`)
          .join("  ")}`,
      );
    }
  }
  if (result.license) out(`Ed25519 verify ${result.license.ed25519_verify_us} µs (Node WebCrypto)`);
  if (result.policy) {
    const { engine_us_per_kb: engine, naive_us_per_kb: naive } = result.policy;
    out(
      `policy evaluation ${engine} µs per KB (target < ${targets.policyUsPerKb} ${mark(engine < targets.policyUsPerKb)}; per pattern: ${naive})`,
    );
  }
  return lines.join("\n");
}

const cell = (run) => `${show(run.rps)} (${show(run.p50_ms)} / ${show(run.p99_ms)})`;
const bold = (value) => `**${show(value)}**`;

/** `do=1 db=0` for every governed route, grouping routes with the same figures. */
function costSummary(result) {
  const groups = new Map();
  for (const route of GOVERNED) {
    const c = result[route.cost];
    const key = `do=${show(c.do_avg)} db=${show(c.db_avg)}${c.deferred_do_avg ? ` + ${c.deferred_do_avg} deferred` : ""}`;
    groups.set(key, [...(groups.get(key) ?? []), route.short]);
  }
  if (groups.size === 1) return `${[...groups.keys()][0]} (every route)`;
  return [...groups].map(([key, routes]) => `${routes.join(", ")}: ${key}`).join("; ");
}

export function markdownReport(result, { targets = TARGETS } = {}) {
  const when = result.date.slice(0, 16).replace("T", " ");
  const lines = [];
  const table = (header, rows) => {
    lines.push(`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`);
    for (const r of rows) lines.push(`| ${r.map(show).join(" | ")} |`);
    lines.push("");
  };
  lines.push(
    `### ${result.date.slice(0, 10)}: \`npm run bench\` (${result.cpus} cores, load ${result.loadavg.join(" ")}, ${result.wall_s} s)`,
    "",
  );
  table(
    [
      "Run (UTC)",
      "health req/s (p50/p99 ms)",
      "probe Free",
      "probe Pro",
      "MCP check_policy",
      "REST check-input",
      "audit tool-call (Pro)",
      "Free / health",
      "MCP / health",
      "REST / health",
      "audit / health",
      "Pro / Free",
      "cost (every governed route)",
    ],
    [
      [
        when,
        cell(result.health),
        cell(result.governed),
        cell(result.governed_pro),
        cell(result.mcp_check_policy),
        cell(result.rest_check_input),
        cell(result.audit_tool_call),
        bold(result.ratio.rps),
        bold(result.mcp_vs_health.rps),
        bold(result.rest_vs_health.rps),
        bold(result.audit_vs_health.rps),
        bold(result.pro_vs_free.rps),
        costSummary(result),
      ],
    ],
  );
  const soak = result.soak;
  const workers = result.workers ?? {};
  const size = (w) =>
    !w || w.error ? "build failed" : `${w.gzip_kib} KiB, ${(w.raw_bytes / 1024).toFixed(1)} KiB raw`;
  const startup = (w) => (!w || w.error ? "–" : `${w.startup_cpu_ms} ms`);
  table(
    [
      "register req/s (p50/p99 ms)",
      "webhook req/s (p50/p99 ms)",
      "soak p99 governed / health (ms)",
      "soak p99 ratio",
      "soak db>0",
      "soak non-200",
      "public Worker gzip",
      "billing Worker gzip",
      "startup CPU public / billing",
      "Ed25519 verify",
      "policy engine",
    ],
    [
      [
        `${cell(result.register)}, ${result.register.concurrency} at a time`,
        `${cell(result.webhook)}, ${result.webhook.concurrency} at a time`,
        soak ? `${show(soak.governed.p99_ms)} / ${show(soak.health.p99_ms)}` : "–",
        soak ? `**${show(soak.p99_ratio)}** (target ≤ ${targets.soakP99Ratio})` : "–",
        soak ? `**${soak.db_waits}** of ${soak.governed.requests}` : "–",
        soak ? soak.governed.non_ok + soak.health.non_ok : "–",
        `${size(workers.public)} (target ≤ ${targets.publicGzipKiB} KiB)`,
        size(workers.billing),
        `${startup(workers.public)} / ${startup(workers.billing)} (target ≤ ${targets.startupCpuMs} ms)`,
        result.license ? `${result.license.ed25519_verify_us} µs` : "–",
        result.policy ? `${result.policy.engine_us_per_kb} µs per KB` : "–",
      ],
    ],
  );
  if (soak) {
    lines.push(
      `Soak: ${soak.seconds} s at ${soak.rate_per_s} req/s, GET /health and MCP check_policy alternating, ${soak.tenants} Pro tenants (one request each every ${soak.seconds_between_a_tenants_requests} s).`,
      "",
    );
    table(
      ["minute", "health p99 ms", "governed p99 ms", "ratio", "governed requests", "db>0", "Worker reloads"],
      soak.per_minute.map((m) => [m.minute, ...soakMinuteCells(m)]),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** One soak minute's figures, in the column order both reports use. */
function soakMinuteCells(m) {
  return [m.health_p99_ms, m.governed_p99_ms, m.p99_ratio, m.governed_requests, m.db_waits, m.reloads];
}
