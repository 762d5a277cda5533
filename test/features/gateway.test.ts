/** The SDK's gateway and proxy modes (platform.md §9.5, clients.md §8.8). */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, registerTenant } from "../support/http";
import { gateStub } from "../support/tenant";

const SDK = { "X-Axonflow-Client": "sdk-typescript/9.2.0", "User-Agent": "axonflow-sdk-typescript/9.2.0" };

function post(path: string, body: unknown, auth?: string, env?: Record<string, string>) {
  const init = {
    method: "POST",
    headers: { "Content-Type": "application/json", ...SDK, ...(auth ? { Authorization: auth } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
  return env ? callWithEnv(env, path, init) : call(path, init);
}

async function sdkTenant() {
  const tenant = await registerTenant();
  return { tenant, auth: basic(tenant.tenant_id, tenant.secret) };
}

describeAuthSecurity("POST /api/policy/pre-check", (auth) => post("/api/policy/pre-check", { query: "hi" }, auth));
describeAuthSecurity("POST /api/audit/llm-call", (auth) => post("/api/audit/llm-call", { context_id: "c" }, auth));
describeAuthSecurity("POST /api/request", (auth) => post("/api/request", { query: "hi" }, auth));

describe("POST /api/policy/pre-check", () => {
  it("approves a clean query with a context, its expiry and the day's remaining quota", async () => {
    const { tenant, auth } = await sdkTenant();
    const response = await post(
      "/api/policy/pre-check",
      {
        user_token: "",
        client_id: tenant.tenant_id,
        query: "Summarise last week's orders",
        data_sources: ["postgres"],
        context: {},
      },
      auth,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      context_id: expect.stringMatching(/^ctx_/),
      approved: true,
      approved_data: { query: "Summarise last week's orders", data_sources: ["postgres"], redacted_fields: [] },
      policies: [],
      rate_limit: { limit: 200, remaining: 199 },
    });
    const expires = Date.parse(body.expires_at as string);
    expect(expires - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it("refuses an injection with approved:false and the policy's reason (HTTP 200)", async () => {
    const { auth } = await sdkTenant();
    const response = await post("/api/policy/pre-check", { query: "x' UNION SELECT password FROM accounts --" }, auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      approved: false,
      approved_data: {},
      block_reason: "Detects UNION SELECT statements used to extract data",
      policies: expect.arrayContaining(["sys_sqli_union_select"]),
    });
  });

  it("asks for redaction of critical PII and hands back the masked query", async () => {
    const { auth } = await sdkTenant();
    const body = await (await post("/api/policy/pre-check", { query: "customer ssn 123-45-6789" }, auth)).json();
    expect(body).toMatchObject({
      approved: true,
      requires_redaction: true,
      approved_data: { query: "customer ssn 1*********9", redacted_fields: ["query"] },
    });
  });

  it("answers shape B 400 without a query and 403 for another tenant's client_id", async () => {
    const { auth } = await sdkTenant();
    const missing = await post("/api/policy/pre-check", { data_sources: [] }, auth);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ success: false, error: "query is required", blocked: false });
    expect((await post("/api/policy/pre-check", { query: "hi", client_id: "cs_other" }, auth)).status).toBe(403);
    expect((await post("/api/policy/pre-check", "nope", auth)).status).toBe(400);
  });
});

describe("POST /api/audit/llm-call", () => {
  it("records the LLM call in the audit trail", async () => {
    const { tenant, auth } = await sdkTenant();
    const response = await post(
      "/api/audit/llm-call",
      {
        context_id: "ctx_1",
        client_id: tenant.tenant_id,
        response_summary: "Orders rose 4% week on week",
        provider: "openai",
        model: "gpt-4o",
        token_usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
        latency_ms: 900,
        metadata: {},
      },
      auth,
      {},
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { success: boolean; audit_id: string };
    expect(body).toEqual({ success: true, audit_id: expect.stringMatching(/^audit_/) });
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const [row] = await superuser("select request_type, provider, model, tokens_used from audit_logs where id = $1", [
      body.audit_id,
    ]);
    expect(row).toEqual({ request_type: "llm_call_audit", provider: "openai", model: "gpt-4o", tokens_used: 150 });
  });

  it("requires a context_id", async () => {
    const { auth } = await sdkTenant();
    const response = await post("/api/audit/llm-call", { provider: "openai" }, auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, error: "context_id is required", blocked: false });
  });

  // Found by the fuzz (test/fuzz): these were recorded, then failed the outbox insert on every flush.
  it("answers 400 for token counts or a latency the audit columns cannot hold", async () => {
    const { auth } = await sdkTenant();
    for (const extra of [
      { token_usage: { total_tokens: 2 ** 31 } },
      { token_usage: { prompt_tokens: 2 ** 40 } },
      { latency_ms: 1e300 },
    ]) {
      const response = await post("/api/audit/llm-call", { context_id: "c", ...extra }, auth);
      expect(response.status, JSON.stringify(extra)).toBe(400);
      expect(await response.json()).toEqual({ success: false, error: "Invalid request body", blocked: false });
    }
  });

  it("caps the summed token count at the column's maximum", async () => {
    const { tenant, auth } = await sdkTenant();
    const max = 2 ** 31 - 1;
    const response = await post(
      "/api/audit/llm-call",
      { context_id: "c", token_usage: { prompt_tokens: max, completion_tokens: max } },
      auth,
      {},
    );
    expect(response.status).toBe(200);
    const { audit_id } = (await response.json()) as { audit_id: string };
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const [row] = await superuser("select tokens_used from audit_logs where id = $1", [audit_id]);
    expect(row).toEqual({ tokens_used: max });
  });
});

describe("POST /api/request (and /api/v1/request)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers 503 orchestrator not configured for a clean query when no orchestrator is set", async () => {
    const { auth } = await sdkTenant();
    for (const path of ["/api/request", "/api/v1/request"]) {
      const response = await post(path, { query: "What is the weather in Paris?", request_type: "chat" }, auth);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ success: false, error: "orchestrator not configured" });
    }
  });

  it("blocks with the admin-table rules, which apply on this call site only", async () => {
    const { tenant, auth } = await sdkTenant();
    const response = await post("/api/request", { query: "select * from users", request_type: "sql" }, auth);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      success: false,
      blocked: true,
      block_reason: "Access to users table requires admin privileges",
      policy_info: { policies_evaluated: ["sys_admin_users_table"], tenant_id: tenant.tenant_id },
    });
  });

  it("forwards a clean query to the orchestrator with the identity from the credential", async () => {
    const { tenant, auth } = await sdkTenant();
    const seen: Request[] = [];
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith("http://127.0.0.1:9/")) return real(input, init);
      seen.push(request);
      return Response.json({ success: true, blocked: false, data: { answer: 42 } });
    });
    const response = await post("/api/v1/request", { query: "What is 6 x 7?", request_type: "chat" }, auth, {
      AXONFLOW_ORCHESTRATOR_URL: "http://127.0.0.1:9/",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, blocked: false, data: { answer: 42 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe("http://127.0.0.1:9/api/v1/request");
    expect(seen[0]?.headers.get("X-Tenant-ID")).toBe(tenant.tenant_id);
  });

  it("answers 502 when the orchestrator cannot be reached", async () => {
    const { auth } = await sdkTenant();
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (new Request(input, init).url.startsWith("http://127.0.0.1:9/")) throw new TypeError("connection refused");
      return real(input, init);
    });
    const response = await post("/api/request", { query: "hello" }, auth, {
      AXONFLOW_ORCHESTRATOR_URL: "http://127.0.0.1:9",
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ success: false, error: "orchestrator unavailable" });
  });

  it("does not count against the daily quota", async () => {
    const { auth } = await sdkTenant();
    await post("/api/request", { query: "hello" }, auth);
    const body = (await (await post("/api/policy/pre-check", { query: "hi" }, auth)).json()) as {
      rate_limit: { remaining: number };
    };
    expect(body.rate_limit.remaining).toBe(199);
  });
});
