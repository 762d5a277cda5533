/** POST /api/v1/audit/search, GET /api/v1/audit/tenant/{id}, POST /api/v1/audit/summary (platform.md §9.4). */
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { checkoutEvent, refundEvent } from "../../scripts/stripe-events.mjs";
import { buildApp, publicSurface } from "../../src/app";
import { loadConfig } from "../../src/config";
import {
  AUDIT_READ_MESSAGES,
  AuditPageSchema,
  auditReadRouteDocs,
  ComplianceSummarySchema,
  MAX_AUDIT_READ_BODY_BYTES,
} from "../../src/features/audit/read-routes";
import { parseRfc3339 } from "../../src/governance/audit-read";
import { openApiDocument } from "../../src/http/openapi";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { BASE, basic, orchestratorError, type Registration, registerTenant } from "../support/http";
import { issueTestLicense } from "../support/license";
import { PLUGIN_CLIENT, rpc, toolCall, toolPayload } from "../support/mcp";
import { deliver } from "../support/stripe";
import { gateStub, testEnv } from "../support/tenant";

const config = (() => {
  const result = loadConfig(testEnv);
  if (!result.ok) throw new Error("test config invalid");
  return result.config;
})();

// The app as the Worker builds it, served here so a test can wait for the request's background work.
const app = buildApp(config, publicSurface, testEnv);

/** One request through the app, waiting for its background work (records reach the gate). */
async function serve(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", "127.0.0.1");
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const post = (path: string, body: unknown, auth?: string, headers: Record<string, string> = {}) =>
  serve(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const search = (auth: string | undefined, body: unknown = {}, headers?: Record<string, string>) =>
  post("/api/v1/audit/search", body, auth, headers);
const summary = (auth: string | undefined, body: unknown, headers?: Record<string, string>) =>
  post("/api/v1/audit/summary", body, auth, headers);
const tenantLog = (auth: string | undefined, tenantId: string, query = "", headers: Record<string, string> = {}) =>
  serve(`/api/v1/audit/tenant/${tenantId}${query}`, { headers: auth ? { Authorization: auth, ...headers } : headers });

interface Entry {
  id: string;
  request_type: string;
  query: string;
  policy_decision: string;
  policy_details: Record<string, unknown> | null;
  decision_id?: string;
  user_id: string;
  user_email: string;
  response_time_ms: number;
  timestamp: string;
}
interface Page {
  entries: Entry[];
  total: number;
  limit: number;
  offset: number;
}

async function page(response: Response): Promise<Page> {
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(AuditPageSchema.safeParse(body).success).toBe(true);
  return body as Page;
}

async function expectOrchestratorError(response: Response, status: number, message: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual(orchestratorError(message));
}

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

/** An audit row written directly (old rows for retention, fields no route writes). */
async function insertRow(
  tenantId: string,
  fields: { timestamp?: string; requestType?: string; decision?: string; details?: object; latency?: number } = {},
): Promise<string> {
  const id = `audit_${crypto.randomUUID()}`;
  await superuser(
    `insert into audit_logs (id, request_id, timestamp, client_id, tenant_id, org_id, request_type, query, query_hash,
                             policy_decision, policy_details, response_time_ms)
     values ($1, '', $2, $3, $3, $3, $4, 'seeded', '', $5, $6, $7)`,
    [
      id,
      fields.timestamp ?? new Date().toISOString(),
      tenantId,
      fields.requestType ?? "tool_call_audit",
      fields.decision ?? "allowed",
      JSON.stringify(fields.details ?? {}),
      fields.latency ?? null,
    ],
  );
  return id;
}

interface Seeded {
  tenant: Registration;
  auth: string;
  /** Pro license headers: 200 requests a minute instead of Free's 25, for tests that make many. */
  pro: Record<string, string>;
  /** POST /api/v1/audit/search as this tenant. */
  search: (body?: unknown) => Promise<Response>;
  toolAuditId: string;
  blocked: { decisionId: string; policyId: string; policyName: string };
  allowedDecisionId: string;
}

/** A Pro tenant with three real rows: a tool-call audit, a blocked and an allowed check_policy. */
async function seededTenant(): Promise<Seeded> {
  const tenant = await registerTenant();
  const auth = basic(tenant.tenant_id, tenant.secret);
  const { token } = await issueTestLicense(tenant.tenant_id);
  const pro = { "X-License-Token": token, "X-Axonflow-Client": PLUGIN_CLIENT };
  const recorded = await post(
    "/api/v1/audit/tool-call",
    { tool_name: "Bash", success: true, duration_ms: 812, user_id: "u-1" },
    auth,
    { ...pro, "X-User-Email": "Alice@Example.com" },
  );
  expect(recorded.status).toBe(201);
  const toolAuditId = ((await recorded.json()) as { audit_id: string }).audit_id;
  const check = async (statement: string) =>
    toolPayload(
      await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement }), {
        auth,
        headers: pro,
        settled: true,
      }),
    );
  const blocked = await check("rm -rf /");
  const allowed = await check("ls -la");
  await runDurableObjectAlarm(gateStub(tenant.tenant_id));
  const match = (blocked.policy_matches as Array<{ policy_id: string; policy_name: string }>)[0];
  return {
    tenant,
    auth,
    pro,
    search: (body = {}) => search(auth, body, pro),
    toolAuditId,
    blocked: {
      decisionId: blocked.decision_id as string,
      policyId: blocked.blocked_by as string,
      policyName: match?.policy_name ?? "",
    },
    allowedDecisionId: allowed.decision_id as string,
  };
}

describeAuthSecurity("POST /api/v1/audit/search", (authorization) => search(authorization));
describeAuthSecurity("GET /api/v1/audit/tenant/{tenant_id}", (authorization) => tenantLog(authorization, "cs_any"));
describeAuthSecurity("POST /api/v1/audit/summary", (authorization) =>
  summary(authorization, { start_time: hoursAgo(1), end_time: hoursAgo(0) }),
);

describe("POST /api/v1/audit/search", () => {
  let a: Seeded;
  let b: Seeded;
  beforeAll(async () => {
    [a, b] = await Promise.all([seededTenant(), seededTenant()]);
  });

  it("answers the tenant's rows newest first in the reference's entry shape", async () => {
    const body = await page(await a.search());
    expect(Object.keys(body)).toEqual(["entries", "total", "limit", "offset"]);
    expect(body).toMatchObject({ total: 3, limit: 100, offset: 0 });
    expect(body.entries.map((e) => [e.request_type, e.policy_decision])).toEqual([
      ["mcp_check_input", "allowed"],
      ["mcp_check_input", "blocked"],
      ["tool_call_audit", "allowed"],
    ]);
    const tool = body.entries[2] as unknown as Record<string, unknown>;
    expect(Object.keys(tool)).toEqual([
      "id",
      "request_id",
      "timestamp",
      "user_id",
      "user_email",
      "user_role",
      "client_id",
      "tenant_id",
      "org_id",
      "request_type",
      "query",
      "query_hash",
      "policy_decision",
      "policy_details",
      "provider",
      "model",
      "response_time_ms",
      "tokens_used",
      "cost",
      "redacted_fields",
      "response_sample",
      "compliance_flags",
      "security_metrics",
    ]);
    expect(tool).toMatchObject({
      id: a.toolAuditId,
      user_id: "u-1",
      user_email: "Alice@Example.com",
      client_id: a.tenant.tenant_id,
      tenant_id: a.tenant.tenant_id,
      org_id: a.tenant.tenant_id,
      query: "Tool: Bash",
      query_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      response_time_ms: 812,
      tokens_used: 0,
      cost: 0,
      provider: "",
      model: "",
    });
    expect(tool.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    expect(parseRfc3339(tool.timestamp as string)).toBeInstanceOf(Date);
    const blocked = body.entries[1] as Entry;
    expect(blocked.decision_id).toBe(a.blocked.decisionId);
    expect(Object.keys(blocked).at(-1)).toBe("decision_id");
    expect(blocked.user_id).toBe("");
  });

  it("never shows another tenant's rows, whatever the filters", async () => {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const mine = await page(await me.search({ limit: 1000 }));
      expect(mine.entries.every((e) => (e as unknown as { tenant_id: string }).tenant_id === me.tenant.tenant_id)).toBe(
        true,
      );
      for (const filter of [
        { client_id: other.tenant.tenant_id },
        { decision_id: other.blocked.decisionId },
        { user_email: "alice" },
      ]) {
        const found = await page(await me.search(filter));
        expect(found.entries.some((e) => e.id === other.toolAuditId)).toBe(false);
        expect(found.entries.some((e) => e.decision_id === other.blocked.decisionId)).toBe(false);
      }
    }
    expect((await page(await a.search({ client_id: b.tenant.tenant_id }))).total).toBe(0);
  });

  it("filters by request_type, action (any spelling), decision_id, policy_name, override_id, user_email, client_id", async () => {
    const ids = async (body: unknown) => (await page(await a.search(body))).entries.map((e) => e.id);
    const all = (await page(await a.search())).entries;
    const [allowedCheck, blockedCheck, tool] = all.map((e) => e.id);
    expect(await ids({ request_type: "tool_call_audit" })).toEqual([tool]);
    expect(await ids({ request_type: "nothing_like_it" })).toEqual([]);
    expect(await ids({ action: "blocked" })).toEqual([blockedCheck]);
    expect(await ids({ action: "deny" })).toEqual([blockedCheck]);
    expect(await ids({ action: "allow" })).toEqual([allowedCheck, tool]);
    expect(await ids({ decision_id: a.allowedDecisionId })).toEqual([allowedCheck]);
    expect(await ids({ policy_name: a.blocked.policyId })).toEqual([blockedCheck]);
    expect(await ids({ policy_name: a.blocked.policyName })).toEqual([blockedCheck]);
    expect(await ids({ policy_name: "Bash" })).toEqual([tool]);
    expect(await ids({ user_email: "ALICE@example" })).toEqual([tool]);
    expect(await ids({ user_email: "%" })).toEqual([]);
    expect(await ids({ client_id: a.tenant.tenant_id.slice(3, 12).toUpperCase() })).toHaveLength(3);
    const overridden = await insertRow(a.tenant.tenant_id, { details: { override_id: "ovr-1" } });
    expect(await ids({ override_id: "ovr-1" })).toEqual([overridden]);
    await superuser("delete from audit_logs where id = $1", [overridden]);
  });

  it("limits the window to start_time..end_time", async () => {
    expect((await page(await a.search({ start_time: hoursAgo(-1) }))).total).toBe(0);
    expect((await page(await a.search({ end_time: hoursAgo(1) }))).total).toBe(0);
    const both = { start_time: hoursAgo(1), end_time: new Date(Date.now() + 60_000).toISOString() };
    expect((await page(await a.search(both))).total).toBe(3);
    expect((await page(await a.search({ start_time: null, end_time: null }))).total).toBe(3);
  });

  it("clamps limit to 1000, defaults 0 to 100, and pages with offset while total counts every match", async () => {
    expect(await page(await a.search({ limit: 5000 }))).toMatchObject({ limit: 1000, total: 3 });
    expect(await page(await a.search({ limit: 0 }))).toMatchObject({ limit: 100 });
    expect(await page(await a.search({ limit: -5, offset: -2 }))).toMatchObject({ limit: 100, offset: 0 });
    const second = await page(await a.search({ limit: 1, offset: 1 }));
    expect(second).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(second.entries).toHaveLength(1);
    expect(await page(await a.search({ offset: 10 }))).toEqual({ entries: [], total: 3, limit: 100, offset: 10 });
  });

  it("answers 400 Invalid request body for bad JSON, wrong types and times that are not RFC 3339", async () => {
    for (const body of [
      "not json",
      "",
      "[]",
      '"x"',
      { start_time: "2026-05-01" },
      { start_time: "" },
      { end_time: "2026-02-30T00:00:00Z" },
      { limit: "10" },
      { limit: 1.5 },
      { user_email: 5 },
    ]) {
      await expectOrchestratorError(await a.search(body), 400, AUDIT_READ_MESSAGES.invalidBody);
    }
  });

  it("answers 413 in the orchestrator shape for a body over 64 KiB, and 405 for other methods", async () => {
    const big = JSON.stringify({ user_email: "x".repeat(MAX_AUDIT_READ_BODY_BYTES) });
    await expectOrchestratorError(await a.search(big), 413, AUDIT_READ_MESSAGES.tooLarge);
    const get = await serve("/api/v1/audit/search", { headers: { Authorization: a.auth, ...a.pro } });
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST, OPTIONS");
  });

  it("answers the empty page with entries [] (never null)", async () => {
    const fresh = await registerTenant();
    const body = await (await search(basic(fresh.tenant_id, fresh.secret))).text();
    expect(body).toBe('{"entries":[],"total":0,"limit":100,"offset":0}');
  });
});

describe("audit retention by tier", () => {
  it("hides rows older than the tier's retention from search, the tenant log and the summary", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const recent = await insertRow(tenant.tenant_id, { timestamp: hoursAgo(2 * 24) });
    const old = await insertRow(tenant.tenant_id, { timestamp: hoursAgo(4 * 24) });
    await insertRow(tenant.tenant_id, { timestamp: hoursAgo(40 * 24) });
    const longAgo = { start_time: "2000-01-01T00:00:00Z" };

    // Free keeps 3 days.
    expect((await page(await search(auth, longAgo))).entries.map((e) => e.id)).toEqual([recent]);
    expect((await page(await tenantLog(auth, tenant.tenant_id))).entries.map((e) => e.id)).toEqual([recent]);
    const year = await summary(auth, { start_time: hoursAgo(300 * 24), end_time: hoursAgo(0) });
    expect(((await year.json()) as { total_events: number }).total_events).toBe(1);

    // Pro keeps 30 days.
    const { token } = await issueTestLicense(tenant.tenant_id);
    const pro = { "X-License-Token": token, "X-Axonflow-Client": PLUGIN_CLIENT };
    expect((await page(await search(auth, longAgo, pro))).entries.map((e) => e.id)).toEqual([recent, old]);
    expect((await page(await tenantLog(auth, tenant.tenant_id, "", pro))).entries.map((e) => e.id)).toEqual([
      recent,
      old,
    ]);
  });
});

describe("GET /api/v1/audit/tenant/{tenant_id}", () => {
  it("answers the latest 50 by default, honours ?limit= and ?page_size= in 1..1000 and ignores anything else", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const values = Array.from({ length: 60 }, (_, i) => hoursAgo(i / 60));
    for (const timestamp of values) await insertRow(tenant.tenant_id, { timestamp });
    const latest = await page(await tenantLog(auth, tenant.tenant_id));
    expect(latest).toMatchObject({ total: 50, limit: 50, offset: 0 });
    expect(latest.entries).toHaveLength(50);
    const times = latest.entries.map((e) => Date.parse(e.timestamp));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect((await page(await tenantLog(auth, tenant.tenant_id, "?limit=5"))).entries).toHaveLength(5);
    expect((await page(await tenantLog(auth, tenant.tenant_id, "?page_size=7"))).entries).toHaveLength(7);
    for (const ignored of ["?limit=0", "?limit=abc", "?limit=5000", "?limit=-3"]) {
      expect(await page(await tenantLog(auth, tenant.tenant_id, ignored))).toMatchObject({ limit: 50, total: 50 });
    }
  });

  it("answers 403 tenant scope mismatch for another tenant's id (and never its rows)", async () => {
    const [mine, other] = await Promise.all([registerTenant(), registerTenant()]);
    await insertRow(other.tenant_id);
    const auth = basic(mine.tenant_id, mine.secret);
    await expectOrchestratorError(await tenantLog(auth, other.tenant_id), 403, AUDIT_READ_MESSAGES.scopeMismatch);
    const own = await page(await tenantLog(auth, mine.tenant_id));
    expect(own).toEqual({ entries: [], total: 0, limit: 50, offset: 0 });
    const otherAuth = basic(other.tenant_id, other.secret);
    expect((await page(await tenantLog(otherAuth, other.tenant_id))).total).toBe(1);
    await expectOrchestratorError(await tenantLog(otherAuth, mine.tenant_id), 403, AUDIT_READ_MESSAGES.scopeMismatch);
    const put = await serve(`/api/v1/audit/tenant/${mine.tenant_id}`, {
      method: "PUT",
      headers: { Authorization: auth },
    });
    expect(put.status).toBe(405);
  });
});

describe("POST /api/v1/audit/summary", () => {
  const range = () => ({ start_time: hoursAgo(1), end_time: new Date(Date.now() + 60_000).toISOString() });

  it("summarises the tenant's rows in the range: verdicts, rates, actions, severities and top policies", async () => {
    const a = await seededTenant();
    const b = await seededTenant();
    await insertRow(a.tenant.tenant_id, { decision: "deny", latency: 100 });
    await insertRow(a.tenant.tenant_id, { decision: "failed", latency: 300 });
    await insertRow(a.tenant.tenant_id, { requestType: "license_issued", decision: "license_lifecycle" });
    await insertRow(a.tenant.tenant_id, { decision: "blocked", details: { policy_name: "Custom Rule" } });
    await insertRow(b.tenant.tenant_id, { decision: "blocked", details: { policy_name: "Other Tenant Rule" } });

    const response = await summary(a.auth, range(), a.pro);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(ComplianceSummarySchema.safeParse(body).success).toBe(true);
    expect(Object.keys(body)).toEqual([
      "total_requests",
      "allowed_requests",
      "blocked_requests",
      "modified_requests",
      "needs_approval_requests",
      "error_requests",
      "block_rate_percent",
      "avg_latency_ms",
      "total_events",
      "by_severity",
      "by_action",
      "top_policies",
      "compliance_score",
    ]);
    // Rows: tool call (allowed, 812 ms), blocked check, allowed check, deny, failed, license, blocked "Custom Rule".
    expect(body).toMatchObject({
      total_requests: 6,
      allowed_requests: 2,
      blocked_requests: 3,
      modified_requests: 0,
      needs_approval_requests: 0,
      error_requests: 1,
      block_rate_percent: 50,
      avg_latency_ms: (812 + 100 + 300) / 3,
      total_events: 7,
      by_severity: { critical: 3, info: 2, warning: 1 },
      by_action: { license_issued: 1, mcp_check_input: 2, tool_call_audit: 4 },
      compliance_score: 50,
    });
    expect(Object.keys(body.by_severity as object)).toEqual(["critical", "info", "warning"]);
    const top = body.top_policies as Array<{ policy_name: string; trigger_count: number; block_count: number }>;
    expect(top).toContainEqual({ policy_name: a.blocked.policyName, trigger_count: 1, block_count: 1 });
    expect(top).toContainEqual({ policy_name: "Custom Rule", trigger_count: 1, block_count: 1 });
    expect(top.some((p) => p.policy_name === "Other Tenant Rule")).toBe(false);
  });

  it("answers zeros and a score of 100 for an empty range", async () => {
    const tenant = await registerTenant();
    const body = await (await summary(basic(tenant.tenant_id, tenant.secret), range())).json();
    expect(body).toEqual({
      total_requests: 0,
      allowed_requests: 0,
      blocked_requests: 0,
      modified_requests: 0,
      needs_approval_requests: 0,
      error_requests: 0,
      block_rate_percent: 0,
      avg_latency_ms: 0,
      total_events: 0,
      by_severity: {},
      by_action: {},
      top_policies: [],
      compliance_score: 100,
    });
  });

  it("answers the reference's 400 messages in its order", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const start = "2026-01-01T00:00:00Z";
    for (const [body, message] of [
      ["not json", AUDIT_READ_MESSAGES.invalidBody],
      ["", AUDIT_READ_MESSAGES.invalidBody],
      [{ start_time: 5, end_time: start }, AUDIT_READ_MESSAGES.invalidBody],
      [{}, AUDIT_READ_MESSAGES.invalidStart],
      [{ start_time: "2026-01-01", end_time: "nope" }, AUDIT_READ_MESSAGES.invalidStart],
      [{ start_time: start }, AUDIT_READ_MESSAGES.invalidEnd],
      [{ start_time: start, end_time: "2026-01-02" }, AUDIT_READ_MESSAGES.invalidEnd],
      [{ start_time: start, end_time: start }, AUDIT_READ_MESSAGES.endBeforeStart],
      [{ start_time: start, end_time: "2025-12-31T23:59:59+01:00" }, AUDIT_READ_MESSAGES.endBeforeStart],
      [{ start_time: start, end_time: "2027-01-02T00:00:00Z" }, AUDIT_READ_MESSAGES.rangeTooLong],
    ] as const) {
      await expectOrchestratorError(await summary(auth, body), 400, message);
    }
    const ok = await summary(auth, { start_time: start, end_time: "2026-12-30T23:59:59.5-02:00", connector_type: "x" });
    expect(ok.status).toBe(200);
    const big = JSON.stringify({ start_time: start, end_time: start, pad: "x".repeat(MAX_AUDIT_READ_BODY_BYTES) });
    await expectOrchestratorError(await summary(auth, big), 413, AUDIT_READ_MESSAGES.tooLarge);
  });
});

describe("license history in the tenant's audit trail", () => {
  it("shows issuance and a full refund to the tenant, without the token", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const event = checkoutEvent({ tenantId: tenant.tenant_id, email: "buyer@example.com" });
    const issued = (await (await deliver(event)).json()) as { token: string };
    const paymentIntentId = (event.data.object as { payment_intent: string }).payment_intent;
    expect(((await (await deliver(refundEvent({ paymentIntentId }))).json()) as { status: string }).status).toBe(
      "revoked",
    );
    const body = await page(await search(auth, { start_time: hoursAgo(1) }));
    expect(body.entries.map((e) => [e.request_type, e.policy_decision])).toEqual(
      expect.arrayContaining([
        ["license_issued", "license_lifecycle"],
        ["license_revoked_full_refund", "license_lifecycle"],
      ]),
    );
    expect(body.total).toBe(2);
    expect(JSON.stringify(body)).not.toContain(issued.token);
    expect(JSON.stringify(body)).not.toContain("AXON-");
    const revoked = await page(await search(auth, { request_type: "license_revoked_full_refund" }));
    expect(revoked.entries[0]?.query).toBe("Pro license revoked: full refund");
  });
});

describe("OpenAPI declarations", () => {
  it("document the three routes with their error bodies", () => {
    const document = openApiDocument(auditReadRouteDocs, "test") as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(document.paths).sort()).toEqual([
      "/api/v1/audit/search",
      "/api/v1/audit/summary",
      "/api/v1/audit/tenant/{tenant_id}",
    ]);
    expect(Object.keys(document.paths["/api/v1/audit/search"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "401", "413", "429"]),
    );
    expect(Object.keys(document.paths["/api/v1/audit/tenant/{tenant_id}"]?.get?.responses ?? {})).toContain("403");
  });
});

describe("parseRfc3339", () => {
  it.each([
    ["2026-05-01T00:00:00Z", "2026-05-01T00:00:00.000Z"],
    ["2026-05-01T02:30:00.123456789+02:30", "2026-05-01T00:00:00.123Z"],
    ["2024-02-29T23:59:59-00:00", "2024-02-29T23:59:59.000Z"],
  ])("parses %s", (text, iso) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(iso);
  });

  it.each([
    "2026-05-01",
    "2026-05-01 00:00:00Z",
    "2026-05-01T00:00:00",
    "2025-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-05-01T24:00:00Z",
    "2026-05-01T00:00:60Z",
    "2026-05-01T00:00:00+24:00",
    "",
  ])("rejects %j", (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });
});
