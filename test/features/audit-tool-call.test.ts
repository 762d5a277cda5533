/** POST /api/v1/audit/tool-call (platform.md §9.4). */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, registerTenant } from "../support/http";
import { gateStub } from "../support/tenant";

const toolCall = (body: unknown, auth?: string, headers: Record<string, string> = {}, settled = false) => {
  const init = {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
  return settled ? callWithEnv({}, "/api/v1/audit/tool-call", init) : call("/api/v1/audit/tool-call", init);
};

describeAuthSecurity("POST /api/v1/audit/tool-call", (authorization) => toolCall({ tool_name: "x" }, authorization));

describe("POST /api/v1/audit/tool-call", () => {
  it("answers 201 with an audit id and lands in audit_logs as tool_call_audit", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const response = await toolCall(
      {
        tool_name: "anthropic.claude-sonnet",
        tool_type: "llm_call",
        caller_name: "openclaw",
        input: { query: "summarise" },
        output: { response_summary: "ok", token_usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } },
        success: true,
        duration_ms: 812,
      },
      auth,
      {},
      true,
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as { audit_id: string; status: string; timestamp: string };
    expect(body).toEqual({
      audit_id: expect.stringMatching(/^audit_/),
      status: "recorded",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const [row] = await superuser<Record<string, unknown>>(
      "select id, request_type, query, provider, model, tokens_used, response_time_ms from audit_logs where id = $1",
      [body.audit_id],
    );
    expect(row).toEqual({
      id: body.audit_id,
      request_type: "tool_call_audit",
      query: "Tool: anthropic.claude-sonnet",
      provider: "anthropic",
      model: "claude-sonnet",
      tokens_used: 15,
      response_time_ms: "812",
    });
  });

  it("answers 400 for a blank tool_name, bad JSON and wrong types", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    for (const [body, message] of [
      [{ tool_name: "  " }, "tool_name is required"],
      [{}, "tool_name is required"],
      ["not json", "Invalid request body"],
    ] as const) {
      const response = await toolCall(body, auth);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ success: false, error: message });
    }
    const typed = await toolCall({ tool_name: "x", success: "yes" }, auth);
    expect(typed.status).toBe(400);
    expect(((await typed.json()) as { error: string }).error).toContain("success");
  });

  it("replays the 201 with Idempotent-Replayed for a repeated Idempotency-Key, without a second row", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const key = { "Idempotency-Key": "audit-key-1" };
    const first = await toolCall({ tool_name: "Bash", success: true }, auth, key, true);
    const replay = await toolCall({ tool_name: "Bash", success: true }, auth, key, true);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replay.text()).toBe(await first.text());
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const rows = await superuser("select 1 from audit_logs where tenant_id = $1", [tenant.tenant_id]);
    expect(rows).toHaveLength(1);
  });

  // Found by the fuzz (test/fuzz): values past the audit_logs columns were accepted with 201, then
  // failed the insert on every flush of the tenant gate's outbox, holding back all later records.
  it("answers 400 for a duration_ms no bigint holds", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    for (const duration of [1e300, 2 ** 63]) {
      const response = await toolCall({ tool_name: "x", duration_ms: duration }, auth);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain("duration_ms");
    }
  });

  it("keeps an llm_call's provider, model and token count within their columns, so the outbox flushes", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const response = await toolCall(
      {
        tool_name: `${"p".repeat(120)}.${"m".repeat(130)}`,
        tool_type: "llm_call",
        output: { token_usage: { total_tokens: 2 ** 40 } },
        duration_ms: 2 ** 53 - 1,
      },
      auth,
      {},
      true,
    );
    expect(response.status).toBe(201);
    const { audit_id } = (await response.json()) as { audit_id: string };
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const [row] = await superuser<Record<string, unknown>>(
      "select provider, model, tokens_used, response_time_ms from audit_logs where id = $1",
      [audit_id],
    );
    expect(row).toEqual({
      provider: "p".repeat(50),
      model: "m".repeat(100),
      tokens_used: null,
      response_time_ms: String(2 ** 53 - 1),
    });
  });
});
