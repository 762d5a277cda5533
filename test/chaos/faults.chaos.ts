/**
 * `npm run test:chaos`: both Workers (built as deployed, run in workerd through miniflare's Node
 * API) over a Postgres and a mail sink that the tests stop, freeze and restart underneath them.
 *
 *   1  Postgres stopped, then frozen (SIGSTOP), mid-traffic: warm governed calls answer from the
 *      tenant gates (or 503 JSON), a cold tenant, an unknown tenant id, registration and the
 *      request-path database routes answer 503 JSON within the bound, the webhook answers 500 so
 *      Stripe retries, the daily quota stays exact; once Postgres is back, every usage count,
 *      audit row, decision row and license row is there exactly once.
 *   1c A usage flush whose COMMIT lands after the Worker gave up on it is not counted twice.
 *   2  Mail sink down: a paid checkout still commits its license and a recovery request its token;
 *      the failures are logged for support and a redelivery mails the identical token.
 *   3  Concurrency: 50 identical webhooks → one license; 250 quota requests of one Free tenant →
 *      exactly 200 admitted; 20 confirms of one recovery token → exactly one tenant.
 *
 * Each scenario adds a `[chaos]` summary line with its figures, printed together at the end.
 * CHAOS_WORKER_LOG=<file> keeps the Workers' log lines; CHAOS_DB_TIMEOUT_MS changes the bound of 1–2.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutEvent } from "../../scripts/stripe-events.mjs";
import {
  basic,
  buildBundle,
  ChaosStack,
  Edge,
  eventually,
  freshIp,
  LogBook,
  publicServiceBindings,
  query,
  type Reply,
  type RunSecrets,
  runSecrets,
  type StackCommand,
  signedDelivery,
  sleep,
  startWorkers,
  within,
} from "./harness";

/**
 * AXONFLOW_DB_TIMEOUT_MS under test (default 5000), and the bound a request must answer within
 * when Postgres is gone: one connect timeout plus slack for a loaded 2-core machine. Below about
 * 1 s a healthy local connect (WebSocket, fork, SCRAM) already misses the bound once 50–250
 * requests arrive together on 2 busy cores.
 */
const DB_TIMEOUT_MS = Number(process.env.CHAOS_DB_TIMEOUT_MS ?? 2_000);
const COLD_BOUND_MS = 2 * DB_TIMEOUT_MS + 1_000;
/**
 * The concurrency scenarios' bound: 50 connects at once take 2–6 s on a busy 2-core machine (each
 * a Postgres fork and SCRAM exchange), and with a shorter bound every one of them times out together.
 */
const LOAD_DB_TIMEOUT_MS = 15_000;
const FREE_DAILY = 200;
/** How long each fault lasts while traffic runs. */
const FAULT_MS = 5_000;
/** After the last fault: a failed gate flush retries 30–90 s later (src/limits/tenant-gate.ts). */
const SETTLE_MS = 130_000;

const summary: string[] = [];
/** Summary lines, printed together once the run ends. */
const report = (line: string) => summary.push(`[chaos] ${line}`);

// ---------------------------------------------------------------------------------------------
// Tenants and what the test expects Postgres to hold for each

interface Tally {
  /** Requests the gate admitted. */
  admitted: number;
  /** Requests the gate counted (request_count and the daily usage rows): admitted or over the daily quota. */
  counted: number;
  /** Admitted check-input / check_policy calls: one decision and one mcp_check_input audit row each. */
  checks: number;
  /** Admitted audit tool-calls: one tool_call_audit row each. */
  toolAudits: number;
  /** Licenses issued: one plugin_user_licenses and one license_issued audit row each. */
  licenses: number;
  decisionIds: string[];
  auditIds: string[];
}

interface Tenant {
  name: string;
  id: string;
  auth: string;
  email: string;
  license?: string;
  tally: Tally;
}

type Route = "check-input" | "mcp-check" | "tool-audit" | "explain";
const ROUTES: Route[] = ["check-input", "mcp-check", "tool-audit", "explain"];
type Kind = "admitted" | "quota" | "unavailable" | "other";

interface Outcome {
  tenant: string;
  route: Route;
  kind: Kind;
  reply: Reply;
  startedAt: number;
  endedAt: number;
}

let stack: ChaosStack;
/** Both Workers with the small database bound of the fault scenarios (1, 2). */
let faultWorkers: Miniflare;
/** Both Workers again, with a bound for bursts on 2 cores (3): the same Postgres, their own Durable Objects. */
let loadWorkers: Miniflare;
/** The Miniflare the running scenario talks to. */
let edge: Edge;
let secrets: RunSecrets;
let workDir: string;
const logs = new LogBook();
const tenants: Tenant[] = [];
const superuser = <Row extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
  query<Row>(stack.info.superuserUrl, text, params);

const newTally = (): Tally => ({
  admitted: 0,
  counted: 0,
  checks: 0,
  toolAudits: 0,
  licenses: 0,
  decisionIds: [],
  auditIds: [],
});

function isJson503(reply: Reply): boolean {
  return reply.status === 503 && reply.contentType.startsWith("application/json") && reply.json !== undefined;
}

const describeReply = (reply: Reply) => `${reply.status} ${reply.text.slice(0, 200)}`;

async function register(name: string, withEmail = true, reconciled = true): Promise<Tenant> {
  // A domain of its own, so the masked address in log lines (`m***@<domain>`) names this tenant.
  const email = `${name.toLowerCase()}@${crypto.randomUUID().slice(0, 8)}.chaos.example.com`;
  const reply = await edge.public("/api/v1/register", {
    method: "POST",
    ip: freshIp(),
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(withEmail ? { label: `chaos ${name}`, email } : { label: `chaos ${name}` }),
  });
  expect(reply.status, describeReply(reply)).toBe(201);
  const body = reply.json as { tenant_id: string; secret: string };
  const tenant = { name, id: body.tenant_id, auth: basic(body.tenant_id, body.secret), email, tally: newTally() };
  // The database-route probes are counted by the gate whatever they answer: left out of the reconciliation.
  if (reconciled) tenants.push(tenant);
  return tenant;
}

/** One governed call as the plugins make it; its outcome is added to the tenant's tally. */
async function governed(tenant: Tenant, route: Route): Promise<Outcome> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Authorization: tenant.auth };
  if (tenant.license) headers["X-License-Token"] = tenant.license;
  let pathname: string;
  let body: unknown;
  switch (route) {
    case "check-input":
      pathname = "/api/v1/mcp/check-input";
      headers["X-Axonflow-Client"] = "openclaw/2.8.3";
      body = { connector_type: "openclaw.exec", statement: '{"command":"ls -la"}', operation: "execute" };
      break;
    case "mcp-check":
      pathname = "/api/v1/mcp-server";
      headers["X-Axonflow-Client"] = "cursor-plugin/1.7.0";
      headers.Accept = "application/json";
      body = {
        jsonrpc: "2.0",
        id: "hook-pre",
        method: "tools/call",
        params: {
          name: "check_policy",
          arguments: { connector_type: "cursor.Shell", statement: "git status", operation: "execute" },
        },
      };
      break;
    case "tool-audit":
      pathname = "/api/v1/audit/tool-call";
      headers["X-Axonflow-Client"] = "claude-code-plugin/1.13.0";
      body = { tool_name: "Bash", tool_type: "shell", input: { command: "ls" }, success: true, duration_ms: 12 };
      break;
    case "explain":
      pathname = "/api/v1/governance/explain";
      headers["X-Axonflow-Client"] = "claude-code-plugin/1.13.0";
      break;
  }
  const startedAt = Date.now();
  const reply = await edge.public(pathname, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const outcome: Outcome = {
    tenant: tenant.name,
    route,
    kind: classify(route, reply),
    reply,
    startedAt,
    endedAt: Date.now(),
  };
  const tally = tenant.tally;
  if (outcome.kind === "admitted" || (outcome.kind === "quota" && reply.doCalls > 0)) tally.counted++;
  if (outcome.kind === "admitted") {
    tally.admitted++;
    if (route === "check-input" || route === "mcp-check") {
      tally.checks++;
      tally.decisionIds.push(decisionIdOf(route, reply));
    }
    if (route === "tool-audit") {
      tally.toolAudits++;
      tally.auditIds.push((reply.json as { audit_id: string }).audit_id);
    }
  }
  return outcome;
}

function mcpPayload(reply: Reply): { isError?: boolean; payload: Record<string, unknown> } | undefined {
  const result = (reply.json as { result?: { isError?: boolean; content?: Array<{ text?: string }> } })?.result;
  if (!result) return undefined;
  return { isError: result.isError, payload: JSON.parse(result.content?.[0]?.text ?? "{}") };
}

function decisionIdOf(route: Route, reply: Reply): string {
  const payload = route === "mcp-check" ? mcpPayload(reply)?.payload : (reply.json as Record<string, unknown>);
  return String(payload?.decision_id);
}

function classify(route: Route, reply: Reply): Kind {
  if (isJson503(reply)) return "unavailable";
  if (reply.status === 429) {
    const envelope = route === "mcp-check" ? mcpPayload(reply)?.payload : (reply.json as Record<string, unknown>);
    return envelope?.limit_type === "daily_quota" ? "quota" : "other";
  }
  switch (route) {
    case "check-input":
      return reply.status === 200 && (reply.json as { allowed?: boolean })?.allowed === true ? "admitted" : "other";
    case "mcp-check": {
      const result = reply.status === 200 ? mcpPayload(reply) : undefined;
      return result && !result.isError && result.payload.allowed === true ? "admitted" : "other";
    }
    case "tool-audit":
      return reply.status === 201 && typeof (reply.json as { audit_id?: unknown })?.audit_id === "string"
        ? "admitted"
        : "other";
    case "explain":
      return reply.status === 200 ? "admitted" : "other";
  }
}

const countKinds = (outcomes: Outcome[]) => {
  const counts: Record<Kind, number> = { admitted: 0, quota: 0, unavailable: 0, other: 0 };
  for (const outcome of outcomes) counts[outcome.kind]++;
  return counts;
};

/** Counted requests a warm tenant may spend across both faults, below its daily quota (Free 200, Pro 1,000). */
const WARM_BUDGET = { Free: 170, Pro: 900 };
const ROUND_MS = 400;

/**
 * Rounds of every route for every tenant (one round per ROUND_MS, each tenant within its
 * WARM_BUDGET so that the daily quota never answers) until `stop()`; returns all outcomes.
 */
function warmTraffic(warm: Tenant[]) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const round = sleep(ROUND_MS);
      const active = warm.filter((t) => t.tally.counted + ROUTES.length <= WARM_BUDGET[t.license ? "Pro" : "Free"]);
      outcomes.push(...(await Promise.all(active.flatMap((tenant) => ROUTES.map((route) => governed(tenant, route))))));
      await round;
    }
  })();
  return {
    outcomes,
    async stop() {
      stopped = true;
      await within(done, 30_000, "warm traffic");
      return outcomes;
    },
  };
}

/** `count` explain calls of one tenant, `concurrency` at a time. */
async function burst(tenant: Tenant, count: number, concurrency: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        outcomes.push(await governed(tenant, "explain"));
      }
    }),
  );
  return outcomes;
}

/**
 * The routes that read or write Postgres on the request path, called by a warm tenant (and the
 * unauthenticated recovery confirm) while Postgres is away. Designed answer: 503 JSON (README
 * "AXONFLOW_DB_TIMEOUT_MS: past it the request answers 503 JSON"); an MCP tool may instead answer
 * its tool error "Service temporarily unavailable" inside the JSON-RPC result.
 */
interface Probe {
  name: string;
  reply: Reply;
  /** Answered as designed. */
  ok: boolean;
}

async function dbRouteProbes(tenant: Tenant): Promise<Probe[]> {
  const headers = {
    "Content-Type": "application/json",
    Authorization: tenant.auth,
    "X-Axonflow-Client": "claude-code-plugin/1.13.0",
  };
  const search = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "search_audit_events", arguments: {} },
  };
  const probes: Array<[string, Promise<Reply>]> = [
    ["audit search", edge.public("/api/v1/audit/search", { method: "POST", headers, body: "{}" })],
    ["decisions", edge.public("/api/v1/decisions", { headers })],
    ["overrides", edge.public("/api/v1/overrides", { headers })],
    ["static-policies", edge.public("/api/v1/static-policies", { headers })],
    ["dynamic-policies", edge.public("/api/v1/dynamic-policies", { headers })],
    [
      "mcp search_audit_events",
      edge.public("/api/v1/mcp-server", {
        method: "POST",
        headers: { ...headers, Accept: "application/json", "X-Axonflow-Client": "cursor-plugin/1.7.0" },
        body: JSON.stringify(search),
      }),
    ],
    [
      "recover/verify",
      edge.public("/api/v1/recover/verify", {
        method: "POST",
        ip: freshIp(),
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: "0".repeat(64) }),
      }),
    ],
  ];
  const replies = await Promise.all(probes.map(([, reply]) => reply));
  return probes.map(([name], i) => {
    const reply = replies[i] as Reply;
    const toolError = reply.status === 200 && mcpPayload(reply)?.isError === true;
    const text = (reply.json as { result?: { content?: Array<{ text?: string }> } })?.result?.content?.[0]?.text;
    return { name, reply, ok: isJson503(reply) || (toolError && String(text).includes("temporarily unavailable")) };
  });
}

const probeSummary = (probes: Probe[]) => probes.map((p) => `${p.name} ${p.reply.status}`).join(", ");

const seconds = (ms: number) => (ms / 1000).toFixed(1);

function registerAnonymously(): Promise<Reply> {
  return edge.public("/api/v1/register", {
    method: "POST",
    ip: freshIp(),
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
}

interface FaultRun<P> {
  outcomes: Outcome[];
  probes: P;
  /** The stack's answer to the fault command (e.g. how many processes it stopped). */
  injected: Record<string, unknown> | undefined;
  faultAt: number;
  healAt: number;
  healedAt: number;
}

/**
 * Warm traffic for 1 s, then `inject` while it goes on: `probe` runs, the fault lasts FAULT_MS,
 * then `heal` (always, whatever failed: the later scenarios need their Postgres) and 1 s more
 * traffic.
 */
async function underFault<P>(
  inject: StackCommand,
  heal: StackCommand,
  touch: Tenant[],
  probe: () => Promise<P>,
): Promise<FaultRun<P>> {
  const traffic = warmTraffic(warm);
  let injected: Record<string, unknown> | undefined;
  let probes: P | undefined;
  let faultAt = 0;
  let healAt = 0;
  let healedAt = 0;
  try {
    await sleep(1_000);
    // An idle Durable Object is evicted (workerd: after about 10 s) and loses its caches; the
    // probed tenants' gates are made warm again, as the warm traffic keeps its own tenants'.
    for (const tenant of touch) expect((await governed(tenant, "explain")).kind).toBe("admitted");
    injected = await stack.command(inject);
    faultAt = Date.now();
    probes = await probe();
    await sleep(Math.max(0, FAULT_MS - (Date.now() - faultAt)));
  } finally {
    healAt = Date.now();
    await stack.command(heal);
    healedAt = Date.now();
    lastFaultEndedAt = healedAt;
    await sleep(1_000);
    await traffic.stop();
  }
  return { outcomes: traffic.outcomes, probes: probes as P, injected, faultAt, healAt, healedAt };
}

/**
 * What both Postgres faults must show (soft expectations, so each scenario reports all its
 * figures): warm calls answered from the gates or 503 JSON, a cold tenant and registration 503
 * JSON within the bound, the webhook 500 (Stripe retries) without a license row, the quota exact,
 * the database routes 503. Returns the summary figures.
 */
function checkFault(
  run: FaultRun<unknown>,
  probes: {
    cold: Outcome;
    register: Reply;
    webhook: Reply;
    quota: Outcome[];
    quotaTenant: Tenant;
    dbRoutes: Probe[];
  },
): string {
  const { cold, register, webhook, quota, dbRoutes } = probes;
  expect.soft(cold.kind, `cold tenant: ${describeReply(cold.reply)}`).toBe("unavailable");
  expect.soft(isJson503(register), `register: ${describeReply(register)}`).toBe(true);
  expect.soft(webhook.status, `webhook: ${describeReply(webhook)}`).toBe(500);
  for (const reply of [cold.reply, register, webhook, ...dbRoutes.map((p) => p.reply)]) {
    expect.soft(reply.ms).toBeLessThan(COLD_BOUND_MS);
  }
  for (const probe of dbRoutes) expect.soft(probe.ok, `${probe.name}: ${describeReply(probe.reply)}`).toBe(true);

  const kinds = countKinds(run.outcomes);
  const unexpected = run.outcomes.filter((o) => o.kind !== "admitted" && o.kind !== "unavailable");
  expect.soft(unexpected.map((o) => `${o.tenant} ${o.route}: ${describeReply(o.reply)}`)).toEqual([]);
  const during = run.outcomes.filter((o) => o.startedAt >= run.faultAt && o.endedAt <= run.healAt);
  const duringKinds = countKinds(during);
  expect.soft(duringKinds.admitted).toBeGreaterThan(0);

  // The quota holds without Postgres: whatever the tenant was admitted before, with the burst, is
  // at most 200, and exactly 200 when the gate answered every call (none waited on Postgres).
  const quotaKinds = countKinds(quota);
  expect.soft(quota.filter((o) => o.kind === "other").map((o) => describeReply(o.reply))).toEqual([]);
  expect.soft(probes.quotaTenant.tally.admitted).toBeLessThanOrEqual(FREE_DAILY);
  if (quotaKinds.unavailable === 0) expect.soft(probes.quotaTenant.tally.admitted).toBe(FREE_DAILY);

  return (
    `warm calls sent=${run.outcomes.length} admitted=${kinds.admitted} 503=${kinds.unavailable} ` +
    `(during the fault: sent=${during.length} admitted=${duringKinds.admitted} 503=${duringKinds.unavailable}); ` +
    `cold tenant ${cold.reply.status} in ${cold.reply.ms.toFixed(0)} ms, register ${register.status} in ` +
    `${register.ms.toFixed(0)} ms, webhook ${webhook.status} in ${webhook.ms.toFixed(0)} ms (license rows 0 until ` +
    `Postgres is back); quota tenant burst sent=${quota.length} admitted=${quotaKinds.admitted} ` +
    `(${probes.quotaTenant.tally.admitted} today with the calls before) ` +
    `429=${quotaKinds.quota} 503=${quotaKinds.unavailable}; database routes of a warm tenant: ${probeSummary(dbRoutes)}`
  );
}

// ---------------------------------------------------------------------------------------------
// Stripe webhooks, straight to the billing Worker

interface Checkout {
  payload: string;
  sessionId: string;
}

function checkout(tenant: Tenant): Checkout {
  const event = checkoutEvent({ tenantId: tenant.id, email: tenant.email });
  return { payload: JSON.stringify(event), sessionId: String(event.data.object.id) };
}

async function deliver(payload: string): Promise<Reply> {
  return edge.billing("/api/v1/billing/stripe-webhook", {
    ...(await signedDelivery(payload, secrets.webhookSecret)),
    ip: "127.0.0.1",
  });
}

async function licenseRows(sessionId: string): Promise<number> {
  const [row] = await superuser<{ n: number }>(
    "select count(*)::int as n from plugin_user_licenses where stripe_session_id = $1",
    [sessionId],
  );
  return row?.n ?? -1;
}

/** One delivery that must answer 200 `issued` for `tenant`. */
async function deliverIssued(tenant: Tenant, order: Checkout): Promise<Reply> {
  const reply = await deliver(order.payload);
  expect(reply.status, describeReply(reply)).toBe(200);
  expect(reply.json).toMatchObject({ status: "issued", tenant_id: tenant.id });
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Mail

interface SinkMessage {
  to: string[];
  subject: string;
  text: string;
}

async function mailFor(email: string, count: number, ms: number): Promise<SinkMessage[]> {
  return eventually(`${count} mail(s) to ${email}`, ms, async () => {
    const response = await fetch(`${stack.info.mailUrl}/emails`, { signal: AbortSignal.timeout(5_000) });
    const all = (await response.json()) as SinkMessage[];
    const mine = all.filter((message) => message.to.includes(email));
    return mine.length >= count ? mine : undefined;
  });
}

/** The values of settled promises (each passed to `keep` first), or the first rejection. */
function settled<T extends unknown[]>(
  results: { [K in keyof T]: PromiseSettledResult<T[K]> },
  keep: (value: unknown) => void,
): T {
  for (const result of results) if (result.status === "fulfilled") keep(result.value);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as T;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  const started = Date.now();
  // One directory for the bundles and Postgres; the stack removes it when it stops, Ctrl-C included.
  workDir = await mkdtemp(path.join(os.tmpdir(), "axonflow-chaos-"));
  secrets = runSecrets();
  // allSettled: whatever started is assigned before afterAll runs, even when something else failed.
  const [, publicBundle, billingBundle] = settled(
    await Promise.allSettled([
      ChaosStack.start(workDir),
      buildBundle("wrangler.toml", path.join(workDir, "public")),
      buildBundle("wrangler.billing.toml", path.join(workDir, "billing")),
    ]),
    (value) => {
      if (value instanceof ChaosStack) stack = value;
    },
  );
  process.once("exit", () => stack?.terminateSync());
  const vars = {
    AXONFLOW_USAGE_FLUSH_SECONDS: "1",
    // Only the daily quota is under test: the per-minute budgets must not interfere.
    COMMUNITY_SAAS_MINUTE_LIMIT: "100000",
    COMMUNITY_SAAS_MINUTE_LIMIT_FREE: "100000",
    COMMUNITY_SAAS_MINUTE_LIMIT_PRO: "100000",
    AXONFLOW_PUBLIC_ENDPOINT: "http://127.0.0.1",
    AXONFLOW_RECOVERY_BASE_URL: "http://127.0.0.1",
    AXONFLOW_DELETE_BASE_URL: "http://127.0.0.1",
    AXONFLOW_TENANT_DELETE_TOKEN_PEPPER: secrets.deletePepper,
  };
  const settings = { stack: stack.info, secrets, publicBundle, billingBundle, logs };
  const workers = await Promise.allSettled([
    startWorkers({ ...settings, vars: { ...vars, AXONFLOW_DB_TIMEOUT_MS: String(DB_TIMEOUT_MS) } }),
    startWorkers({ ...settings, vars: { ...vars, AXONFLOW_DB_TIMEOUT_MS: String(LOAD_DB_TIMEOUT_MS) } }),
  ]);
  if (workers[0].status === "fulfilled") faultWorkers = workers[0].value;
  if (workers[1].status === "fulfilled") loadWorkers = workers[1].value;
  settled(workers, () => {});
  for (const mf of [faultWorkers, loadWorkers]) expect((await new Edge(mf).billing("/health")).status).toBe(200);
  if (publicServiceBindings().includes("BILLING")) {
    // The public Worker forwards /api/v1/billing/* through BILLING: the billing Worker answers.
    const forwarded = await new Edge(faultWorkers).public("/api/v1/billing/stripe-webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00" },
      body: "{}",
    });
    expect(forwarded.status, describeReply(forwarded)).toBe(401);
    expect(forwarded.text.trim()).toBe("signature invalid");
  }
  report(`setup: stack, both bundles and 2 × 2 Workers ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

afterAll(async () => {
  const errors: unknown[] = [];
  for (const mf of [faultWorkers, loadWorkers]) {
    if (mf) await within(mf.dispose(), 30_000, "miniflare dispose").catch((error: unknown) => errors.push(error));
  }
  await stack?.close().catch((error: unknown) => errors.push(error));
  if (workDir) await rm(workDir, { recursive: true, force: true });
  console.log(summary.join("\n"));
  if (errors.length > 0) throw new AggregateError(errors, "chaos teardown failed");
});

/** Tenants whose traffic runs through both Postgres faults. */
let warm: Tenant[];
let quotaStop: Tenant;
let quotaFreeze: Tenant;
let lastFaultEndedAt = Date.now();
/** The tenant of 1c. */
let slow: Tenant;
/** The tenant whose database routes are probed during the faults. */
let dbProbe: Tenant;

describe("faults (AXONFLOW_DB_TIMEOUT_MS small)", () => {
  beforeAll(() => {
    edge = new Edge(faultWorkers);
  });

  it("1a: Postgres stopped mid-traffic", async () => {
    const free1 = await register("warm-free-1");
    const free2 = await register("warm-free-2");
    const pro = await register("warm-pro");
    quotaStop = await register("quota-stop");
    quotaFreeze = await register("quota-freeze");
    const cold = await register("cold-stop");
    const buyer = await register("buyer-stop");
    dbProbe = await register("db-routes", true, false);

    const license = await deliverIssued(pro, checkout(pro));
    pro.license = String((license.json as { token: string }).token);
    pro.tally.licenses++;
    warm = [free1, free2, pro];
    // Warm-up: every route once, so each gate holds the credential, license and policies.
    for (const outcome of await Promise.all(warm.flatMap((t) => ROUTES.map((route) => governed(t, route))))) {
      expect(outcome.kind, `${outcome.tenant} ${outcome.route}: ${describeReply(outcome.reply)}`).toBe("admitted");
    }
    expect((await governed(pro, "explain")).reply.json).toMatchObject({ tier: "Pro" });
    for (const tenant of [quotaStop, quotaFreeze, dbProbe]) {
      expect((await governed(tenant, "explain")).kind).toBe("admitted");
    }

    const order = checkout(buyer);
    const run = await underFault("pg:stop", "pg:start", [quotaStop, dbProbe], () =>
      Promise.all([
        governed(cold, "explain"),
        edge.public("/api/v1/governance/explain", {
          method: "POST",
          headers: { Authorization: basic(`cs_${crypto.randomUUID()}`, "x".repeat(40)) },
        }),
        registerAnonymously(),
        deliver(order.payload),
        burst(quotaStop, 220, 20),
        dbRouteProbes(dbProbe),
      ]),
    );
    const [coldReply, unknownReply, registerReply, webhookReply, quota, dbRoutes] = run.probes;

    // Soft: each finding is reported and the scenario goes on to the rest of its figures.
    expect.soft(isJson503(unknownReply), `unknown tenant: ${describeReply(unknownReply)}`).toBe(true);
    expect.soft(unknownReply.ms).toBeLessThan(COLD_BOUND_MS);
    const common = checkFault(run, {
      quotaTenant: quotaStop,
      cold: coldReply,
      register: registerReply,
      webhook: webhookReply,
      quota,
      dbRoutes,
    });
    expect.soft(await licenseRows(order.sessionId), "license rows after the failed delivery").toBe(0);

    // Back: the cold tenant, registration and the webhook's retry.
    const coldAfter = await governed(cold, "explain");
    expect(coldAfter.kind, describeReply(coldAfter.reply)).toBe("admitted");
    await register("after-stop", false);
    const retried = await deliverIssued(buyer, order);
    buyer.tally.licenses++;
    expect(await licenseRows(order.sessionId)).toBe(1);

    report(
      `1a postgres stopped ${seconds(run.healAt - run.faultAt)} s (restart took ${run.healedAt - run.healAt} ms): ` +
        `${common}; unknown tenant id ${unknownReply.status} in ${unknownReply.ms.toFixed(0)} ms; ` +
        `after restart: cold tenant ${coldAfter.reply.status}, register 201, webhook retry ${retried.status} issued ` +
        `(license rows 1)`,
    );
  });

  it("1b: Postgres frozen mid-traffic (SIGSTOP postmaster and backends)", async () => {
    const cold = await register("cold-freeze");
    const buyer = await register("buyer-freeze");
    const order = checkout(buyer);
    const run = await underFault("pg:freeze", "pg:thaw", [quotaFreeze, dbProbe], () =>
      Promise.all([
        governed(cold, "explain"),
        registerAnonymously(),
        deliver(order.payload),
        burst(quotaFreeze, 220, 20),
        dbRouteProbes(dbProbe),
      ]),
    );
    const [coldReply, registerReply, webhookReply, quota, dbRoutes] = run.probes;
    const common = checkFault(run, {
      quotaTenant: quotaFreeze,
      cold: coldReply,
      register: registerReply,
      webhook: webhookReply,
      quota,
      dbRoutes,
    });
    expect.soft(await licenseRows(order.sessionId), "license rows after the failed delivery").toBe(0);
    // Frozen is the slow case: nothing may wait on Postgres past the bound, warm calls included.
    const slowest = Math.max(...run.outcomes.map((o) => o.reply.ms), ...dbRoutes.map((p) => p.reply.ms));
    expect.soft(slowest).toBeLessThan(COLD_BOUND_MS);

    const coldAfter = await governed(cold, "explain");
    expect(coldAfter.kind, describeReply(coldAfter.reply)).toBe("admitted");
    const retried = await deliverIssued(buyer, order);
    buyer.tally.licenses++;
    expect(await licenseRows(order.sessionId)).toBe(1);

    report(
      `1b postgres frozen ${seconds(run.healAt - run.faultAt)} s (${String(run.injected?.stopped)} processes ` +
        `SIGSTOPped): ${common}; slowest answer ${slowest.toFixed(0)} ms; after thaw: cold tenant ` +
        `${coldAfter.reply.status}, webhook retry ${retried.status} issued (license rows 1)`,
    );
  });

  it("1c: a usage flush whose COMMIT outlasts the bound (armed here, checked at the end)", async () => {
    slow = await register("slow-commit");
    // A deferred trigger makes the COMMIT of this tenant's usage flush outlast the Worker's bound:
    // the gate gives up on it (and keeps the usage pending), Postgres commits anyway.
    const stallSeconds = (DB_TIMEOUT_MS + 1_000) / 1_000;
    const literal = `'${slow.id.replace(/'/g, "''")}'`;
    await superuser(`create or replace function public.chaos_slow_commit() returns trigger language plpgsql as $$
      begin perform pg_sleep(${stallSeconds}); return null; end $$`);
    await superuser(`create constraint trigger chaos_slow_commit after update on public.community_saas_registrations
      deferrable initially deferred for each row when (new.tenant_id = ${literal})
      execute function public.chaos_slow_commit()`);
    try {
      for (let i = 0; i < 5; i++) expect((await governed(slow, "explain")).kind).toBe("admitted");
      await logs.waitFor("gate_flush_failed", (line) => line.tenantId === slow.id, 15_000);
      // The abandoned COMMIT lands once the trigger's sleep ends.
      const committed = await eventually("the abandoned commit", 10_000, async () => {
        const [row] = await superuser<{ n: number }>(
          "select request_count::int as n from community_saas_registrations where tenant_id = $1",
          [slow.id],
        );
        return row && row.n > 0 ? row.n : undefined;
      });
      report(
        `1c slow commit: 5 requests; the flush's COMMIT took ${stallSeconds} s > ${DB_TIMEOUT_MS} ms bound, gate logged ` +
          `gate_flush_failed, Postgres committed request_count=${committed} anyway; the retry is checked at the end`,
      );
    } finally {
      await superuser("drop trigger if exists chaos_slow_commit on public.community_saas_registrations");
      await superuser("drop function if exists public.chaos_slow_commit()");
    }
  });

  it("2: mail sink down: license and recovery token still commit; failures logged; redelivery mails", async () => {
    const buyer = await register("mail-buyer");
    const order = checkout(buyer);
    await stack.command("mail:stop");
    let restarted = false;
    try {
      const issued = await deliverIssued(buyer, order);
      buyer.tally.licenses++;
      expect(await licenseRows(order.sessionId)).toBe(1);
      const licenseId = String((issued.json as { license_id: string }).license_id);
      const licenseFailure = await logs.waitFor(
        "license_email_failed",
        (line) => line.tenantId === buyer.id && line.licenseId === licenseId,
        15_000,
      );

      const recover = await edge.public("/api/v1/recover", {
        method: "POST",
        ip: freshIp(),
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: buyer.email }),
      });
      expect(recover.status, describeReply(recover)).toBe(202);
      const [tokens] = await superuser<{ n: number }>(
        "select count(*)::int as n from community_saas_recovery_tokens where email = $1 and consumed_at is null",
        [buyer.email],
      );
      expect(tokens?.n).toBe(1);
      const masked = `${buyer.email[0]}***${buyer.email.slice(buyer.email.lastIndexOf("@"))}`;
      const recoveryFailure = await logs.waitFor("recovery_email_failed", (line) => line.email === masked, 15_000);

      await stack.command("mail:start");
      restarted = true;
      // A redelivery of the same event (Stripe's "Resend", or support) mails the identical token.
      const again = await deliverIssued(buyer, order);
      expect((again.json as { token: string }).token).toBe((issued.json as { token: string }).token);
      expect(await licenseRows(order.sessionId)).toBe(1);
      const [mail] = await mailFor(buyer.email, 1, 10_000);
      expect(mail?.text).toContain((issued.json as { token: string }).token);

      report(
        `2 mail sink down: checkout webhook 200 issued, license rows 1, logged license_email_failed ` +
          `(${String(licenseFailure.error)}); recover 202, recovery token rows 1, logged recovery_email_failed ` +
          `(${String(recoveryFailure.error)}); sink back: redelivery 200 with the identical token, license rows 1, mail received`,
      );
    } finally {
      if (!restarted) await stack.command("mail:start");
    }
  });
});

describe("concurrency", () => {
  beforeAll(() => {
    edge = new Edge(loadWorkers);
  });

  it("3a: 50 concurrent identical webhooks → one license", async () => {
    const buyer = await register("concurrent-buyer");
    const order = checkout(buyer);
    const replies = await Promise.all(Array.from({ length: 50 }, () => deliver(order.payload)));
    const byStatus = new Map<number, number>();
    for (const reply of replies) byStatus.set(reply.status, (byStatus.get(reply.status) ?? 0) + 1);
    const tokenOf = (reply: Reply) => (reply.json as { token?: string } | undefined)?.token;
    const tokens = new Set(replies.filter((r) => r.status === 200).map(tokenOf));
    // Stripe retries a 5xx; whatever did not get its 200 now gets the same token.
    const retry = await deliver(order.payload);
    const rows = await licenseRows(order.sessionId);
    const [audits] = await superuser<{ n: number }>(
      "select count(*)::int as n from audit_logs where tenant_id = $1 and request_type = 'license_issued'",
      [buyer.id],
    );
    buyer.tally.licenses++;
    const slowest = Math.max(...replies.map((r) => r.ms));
    report(
      `3a 50 concurrent identical webhooks: statuses ${JSON.stringify(Object.fromEntries(byStatus))} ` +
        `(slowest ${slowest.toFixed(0)} ms), distinct tokens ${tokens.size}, one more delivery ${retry.status}; ` +
        `license rows ${rows}, license_issued audit rows ${audits?.n}`,
    );
    expect(rows).toBe(1);
    expect(audits?.n).toBe(1);
    expect(retry.status).toBe(200);
    expect([...tokens]).toEqual([tokenOf(retry)]);
    // Only 200 (issued or its replay) or a 5xx Stripe retries; never a 4xx that would stop it.
    expect(replies.filter((r) => r.status !== 200 && r.status < 500).map(describeReply)).toEqual([]);
  });

  it("3b: 250 concurrent quota requests of one Free tenant → exactly 200 admitted", async () => {
    const tenant = await register("concurrent-quota");
    const outcomes = await Promise.all(Array.from({ length: 250 }, () => governed(tenant, "explain")));
    const kinds = countKinds(outcomes);
    const viaGate = outcomes.filter((o) => o.reply.doCalls > 0).length;
    report(
      `3b 250 concurrent explain calls of one Free tenant: admitted=${kinds.admitted} 429 daily_quota=${kinds.quota} ` +
        `503=${kinds.unavailable} other=${kinds.other} (${viaGate} reached the gate, ${250 - viaGate} answered from the isolate's deny memo)`,
    );
    expect(kinds).toEqual({ admitted: FREE_DAILY, quota: 50, unavailable: 0, other: 0 });
  });

  it("3c: 20 concurrent confirms of one recovery token → exactly one new tenant", async () => {
    const owner = await register("recover-owner");
    const recover = await edge.public("/api/v1/recover", {
      method: "POST",
      ip: freshIp(),
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: owner.email }),
    });
    expect(recover.status).toBe(202);
    const [mail] = await mailFor(owner.email, 1, 10_000);
    const token = /token=([0-9a-f]{64})/.exec(mail?.text ?? "")?.[1];
    expect(token).toBeDefined();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        edge.public("/api/v1/recover/verify", {
          method: "POST",
          ip: freshIp(),
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token }),
        }),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const reply of replies) byStatus.set(reply.status, (byStatus.get(reply.status) ?? 0) + 1);
    const winners = replies.filter((r) => r.status === 200).map((r) => (r.json as { tenant_id: string }).tenant_id);
    const [row] = await superuser<{ consumed_by_tenant: string | null }>(
      "select consumed_by_tenant from community_saas_recovery_tokens where email = $1",
      [owner.email],
    );
    const [claimed] = await superuser<{ n: number }>(
      "select count(*)::int as n from community_saas_registrations where claimed_by_email = $1",
      [owner.email],
    );
    report(
      `3c 20 concurrent confirms of one recovery token: statuses ${JSON.stringify(Object.fromEntries(byStatus))}, ` +
        `tenants now claiming the email ${claimed?.n} (owner + 1)`,
    );
    expect(winners).toHaveLength(1);
    expect(row?.consumed_by_tenant).toBe(winners[0]);
    expect(claimed?.n).toBe(2);
    for (const reply of replies.filter((r) => r.status !== 200)) {
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ error: { code: 401, message: "Recovery token has already been used" } });
    }
  });
});

describe("after the faults", () => {
  it("1 (after Postgres returned): no usage, audit, decision or license row lost or duplicated", async () => {
    const tracked = tenants.filter((t) => t !== slow);
    const settled = await settle(tracked, lastFaultEndedAt + SETTLE_MS - Date.now());
    const problems = mismatches(tracked, settled);
    report(
      `1 reconcile after ${((Date.now() - lastFaultEndedAt) / 1000).toFixed(0)} s: ${tracked.length} tenants, ` +
        `${sum(tracked, "counted")} counted requests, ${sum(tracked, "checks")} check decisions + audit rows, ` +
        `${sum(tracked, "toolAudits")} tool-call audit rows, ${sum(tracked, "licenses")} licenses; ` +
        `flush failures logged ${logs.count("gate_flush_failed")}, flushes ${logs.count("gate_flushed")}, ` +
        `records_not_queued ${logs.count("records_not_queued")}; mismatches: ${problems.length === 0 ? "none" : problems.join("; ")}`,
    );
    expect(problems).toEqual([]);
  });

  it("1c (checked): the retried flush does not count the abandoned commit's requests twice", async () => {
    slow.tally.counted = 5;
    const settled = await settle([slow], Math.max(lastFaultEndedAt + SETTLE_MS - Date.now(), 100_000));
    const problems = mismatches([slow], settled);
    report(
      `1c slow commit after the retry: ${problems.length === 0 ? "request_count 5, as expected" : problems.join("; ")}`,
    );
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Reconciliation

type Counts = {
  request_count: number;
  usage: number;
  check_audits: number;
  tool_audits: number;
  license_audits: number;
  decisions: number;
  licenses: number;
  decision_ids: number;
  audit_ids: number;
};

const sum = (list: Tenant[], key: "counted" | "checks" | "toolAudits" | "licenses") =>
  list.reduce((total, t) => total + t.tally[key], 0);

async function countsOf(list: Tenant[]): Promise<Map<string, Counts>> {
  const rows = await superuser<Counts & { tenant_id: string }>(
    `select r.tenant_id, r.request_count::int as request_count,
       coalesce((select sum(req_count) from community_saas_daily_usage u where u.tenant_id = r.tenant_id), 0)::int as usage,
       (select count(*) from audit_logs a where a.tenant_id = r.tenant_id and a.request_type = 'mcp_check_input')::int as check_audits,
       (select count(*) from audit_logs a where a.tenant_id = r.tenant_id and a.request_type = 'tool_call_audit')::int as tool_audits,
       (select count(*) from audit_logs a where a.tenant_id = r.tenant_id and a.request_type = 'license_issued')::int as license_audits,
       (select count(*) from policy_decisions d where d.tenant_id = r.tenant_id)::int as decisions,
       (select count(*) from plugin_user_licenses l where l.tenant_id = r.tenant_id)::int as licenses
     from community_saas_registrations r where r.tenant_id = any($1::text[])`,
    [list.map((t) => t.id)],
  );
  const ids = await superuser<{ tenant_id: string; decision_ids: number; audit_ids: number }>(
    `select t.tenant_id,
       (select count(*) from policy_decisions d where d.decision_id::text = any(t.decisions))::int as decision_ids,
       (select count(*) from audit_logs a where a.id = any(t.audits))::int as audit_ids
     from jsonb_to_recordset($1::jsonb) as t(tenant_id text, decisions text[], audits text[])`,
    [JSON.stringify(list.map((t) => ({ tenant_id: t.id, decisions: t.tally.decisionIds, audits: t.tally.auditIds })))],
  );
  const byId = new Map(ids.map((row) => [row.tenant_id, row]));
  return new Map(
    rows.map((row) => [
      row.tenant_id,
      {
        ...row,
        decision_ids: byId.get(row.tenant_id)?.decision_ids ?? 0,
        audit_ids: byId.get(row.tenant_id)?.audit_ids ?? 0,
      },
    ]),
  );
}

function expected(t: Tenant): Counts {
  const { counted, checks, toolAudits, licenses, decisionIds, auditIds } = t.tally;
  return {
    request_count: counted,
    usage: counted,
    check_audits: checks,
    tool_audits: toolAudits,
    license_audits: licenses,
    decisions: checks,
    licenses,
    decision_ids: decisionIds.length,
    audit_ids: auditIds.length,
  };
}

function mismatches(list: Tenant[], counts: Map<string, Counts>): string[] {
  const problems: string[] = [];
  for (const tenant of list) {
    const want = expected(tenant);
    const got = counts.get(tenant.id);
    for (const key of Object.keys(want) as Array<keyof Counts>) {
      if (got?.[key] !== want[key]) problems.push(`${tenant.name} ${key}: expected ${want[key]}, found ${got?.[key]}`);
    }
  }
  return problems;
}

/**
 * Waits (at most `ms`) until every tenant's gate has flushed since its last failed flush and
 * Postgres holds at least what is expected, then returns the counts (compared exactly by the caller).
 */
async function settle(list: Tenant[], ms: number): Promise<Map<string, Counts>> {
  let last = new Map<string, Counts>();
  try {
    await eventually(
      "gates flushed and rows in Postgres",
      Math.max(ms, 5_000),
      async () => {
        const flushPending = list.some((tenant) => {
          const events = logs.lines.filter(
            (line) =>
              line.tenantId === tenant.id && (line.event === "gate_flushed" || line.event === "gate_flush_failed"),
          );
          return events.at(-1)?.event === "gate_flush_failed";
        });
        last = await countsOf(list);
        if (flushPending) return undefined;
        const short = list.some((tenant) => {
          const want = expected(tenant);
          const got = last.get(tenant.id);
          return (Object.keys(want) as Array<keyof Counts>).some((key) => (got?.[key] ?? 0) < want[key]);
        });
        return short ? undefined : true;
      },
      1_000,
    );
  } catch (error) {
    console.error(`${String(error)}\n${logs.tail()}`);
  }
  return last;
}
