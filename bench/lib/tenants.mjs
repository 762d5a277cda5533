// Benchmark tenants: registration from many loopback source addresses, warm-up, and the request
// cost header. Under wrangler dev CF-Connecting-IP is the TCP peer, so each 127.x.y.z address has
// its own registration budget.
import http from "node:http";
import { performance } from "node:perf_hooks";
import Stripe from "stripe";
import { checkoutEvent } from "../../scripts/stripe-events.mjs";

const REQUEST_TIMEOUT_MS = 10_000;
/** Registration budget per client IP and rolling hour (src/limits/ip-limiter.ts). */
const PER_ADDRESS = 5;

/** One HTTP request to 127.0.0.1; resolves with status, headers and body text. */
export function request(port, { method = "GET", path, headers = {}, body, localAddress, agent }) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path, headers, localAddress, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

export const basicAuth = ({ tenantId, secret }) => `Basic ${Buffer.from(`${tenantId}:${secret}`).toString("base64")}`;

/** `request`, timed: adds `ms`, the time from sending to the end of the answer. */
export async function timedRequest(port, options) {
  const started = performance.now();
  const res = await request(port, options);
  return { ...res, ms: performance.now() - started };
}

/**
 * Registers `count` Free tenants, PER_ADDRESS from each source address. The addresses come from a
 * random 127.a.b.0 block: registration budgets live in Durable Object storage that outlasts the
 * stack, so a fixed block would be spent by the previous run of the hour. An address that still
 * answers 429 is skipped; at most twice the needed addresses are tried. With `timings`, every
 * request's `{ ms, status, cost }` is pushed onto it.
 */
export async function registerTenants(port, count, concurrency, { timings } = {}) {
  const a = 1 + Math.floor(Math.random() * 254);
  const b = Math.floor(Math.random() * 256);
  const maxAddresses = 2 * Math.ceil(count / PER_ADDRESS);
  const tenants = [];
  let nextAddress = 0;

  async function worker() {
    while (tenants.length < count && nextAddress < maxAddresses) {
      const n = nextAddress++;
      const localAddress = `127.${a}.${(b + Math.floor(n / 250)) % 256}.${1 + (n % 250)}`;
      for (let i = 0; i < PER_ADDRESS && tenants.length < count; i++) {
        const res = await timedRequest(port, {
          method: "POST",
          path: "/api/v1/register",
          headers: { "Content-Type": "application/json" },
          body: "{}",
          localAddress,
        });
        timings?.push({ ms: res.ms, status: res.status, cost: parseCost(res.headers) });
        if (res.status === 429) break;
        if (res.status !== 201) throw new Error(`register from ${localAddress}: HTTP ${res.status} ${res.body}`);
        const { tenant_id: tenantId, secret } = JSON.parse(res.body);
        tenants.push({ tenantId, secret });
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));
  if (tenants.length < count) throw new Error(`registered only ${tenants.length} of ${count} tenants`);
  return tenants.slice(0, count); // the workers' last calls may overshoot
}

/** A plugin client: plugin scope, which the Pro tokens' `axonflow.saas.plugin` audience grants. */
export const CLIENT_HEADER = { "X-Axonflow-Client": "claude-code-plugin/bench" };

/** An everyday statement as the pre-tool hooks send it. */
const STATEMENT = "git status && npm test -- --run src/app.test.ts && git diff --stat HEAD~1";

/**
 * The governed calls the bench measures: the authenticated probe, the two pre-tool checks and the
 * post-tool audit, each with the status a success answers.
 */
export const ROUTES = {
  explain: { path: "/api/v1/governance/explain", body: "{}", status: 200 },
  mcp: {
    path: "/api/v1/mcp-server",
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "hook-pre",
      method: "tools/call",
      params: {
        name: "check_policy",
        arguments: { connector_type: "claude_code.Bash", statement: STATEMENT, operation: "execute" },
      },
    }),
    status: 200,
  },
  rest: {
    path: "/api/v1/mcp/check-input",
    body: JSON.stringify({ connector_type: "openclaw.exec", statement: STATEMENT, operation: "execute" }),
    status: 200,
  },
  // What OpenClaw's after_tool_call hook sends (clients.md): the tool's input, its result as JSON
  // cut to 500 characters, success and the duration. Answers 201 {audit_id, status, timestamp}.
  audit: {
    path: "/api/v1/audit/tool-call",
    body: JSON.stringify({
      tool_name: "exec",
      caller_name: "openclaw",
      tool_type: "openclaw",
      input: { command: STATEMENT },
      output: {
        result: JSON.stringify({ exitCode: 0, stdout: "On branch main\nnothing to commit, working tree clean\n" }),
      },
      success: true,
      duration_ms: 412,
    }),
    status: 201,
  },
};

/** Headers of a governed call as `tenant` (with its license token when it has one). */
export const governedHeaders = (tenant) => ({
  ...CLIENT_HEADER,
  "Content-Type": "application/json",
  Authorization: basicAuth(tenant),
  ...(tenant.license ? { "X-License-Token": tenant.license } : {}),
});

/**
 * Makes `tenants` Pro the way production does: a signed checkout.session.completed delivered to the
 * webhook. Sets `tenant.license` to the issued token. With `timings`, every delivery's
 * `{ ms, status, cost }` is pushed onto it (the signature is made before the clock starts).
 */
export async function buyProLicenses(port, tenants, webhookSecret, { timings, concurrency = 4 } = {}) {
  const cryptoProvider = Stripe.createSubtleCryptoProvider();
  await forEachLimited(tenants, concurrency, async (tenant) => {
    const payload = JSON.stringify(checkoutEvent({ tenantId: tenant.tenantId, email: "bench@example.com" }));
    const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: webhookSecret,
      cryptoProvider,
    });
    const res = await timedRequest(port, {
      method: "POST",
      path: "/api/v1/billing/stripe-webhook",
      headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
      body: payload,
    });
    timings?.push({ ms: res.ms, status: res.status, cost: parseCost(res.headers) });
    if (res.status !== 200) throw new Error(`license for ${tenant.tenantId}: HTTP ${res.status} ${res.body}`);
    tenant.license = JSON.parse(res.body).token;
  });
}

/** One governed call as `tenant` on `route`; throws unless it answers the route's success status. */
export async function governedCall(port, tenant, route = ROUTES.explain) {
  const res = await request(port, {
    method: "POST",
    path: route.path,
    headers: governedHeaders(tenant),
    body: route.body,
  });
  if (res.status !== route.status)
    throw new Error(`${route.path} as ${tenant.tenantId}: HTTP ${res.status} ${res.body}`);
  return res;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function forEachLimited(items, concurrency, task) {
  let next = 0;
  async function worker() {
    while (next < items.length) await task(items[next++]);
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * `do=<n>; db=<n>[; deferred_do=<n>]` of X-Axonflow-Request-Cost, or null without the header.
 * `deferred_do` counts gate calls made after the response (audit and decision rows). `headers` may
 * spell names in any case (Node lowercases them; autocannon's onResponse keeps the server's case).
 */
export function parseCost(headers) {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === "x-axonflow-request-cost");
  const value = String(name ? headers[name] : "");
  const match = /do=(\d+);\s*db=(\d+)/.exec(value);
  if (!match) return null;
  const deferred = /deferred_do=(\d+)/.exec(value);
  return { doCalls: Number(match[1]), dbQueries: Number(match[2]), deferredDoCalls: Number(deferred?.[1] ?? 0) };
}
