/**
 * The axonflow_* tools: tier gates answer the 403 envelopes of platform.md §4.7 inside a JSON-RPC
 * result, caps count what was stored, and a policy an agent creates is enforced on the next check.
 */
import { describe, expect, it } from "vitest";
import { superuser } from "../../support/db";
import { issueTestLicense } from "../../support/license";
import { checkPolicy, pluginTenant, rpc, toolCall, toolPayload } from "../../support/mcp";

type RpcBody = { result: { content: Array<{ text: string }>; isError?: boolean } };

/** A tool result that is an error: its text and the HTTP status. */
async function toolFailure(response: Response): Promise<{ status: number; text: string }> {
  const body = (await response.json()) as RpcBody;
  expect(body.result.isError).toBe(true);
  return { status: response.status, text: body.result.content[0]?.text ?? "" };
}

async function proHeaders(tenantId: string) {
  const { token } = await issueTestLicense(tenantId);
  return { "X-License-Token": token, "X-Axonflow-Client": "claude-code-plugin/1.13.0" };
}

const approval = (args: Record<string, unknown> = {}) =>
  toolCall("axonflow_request_approval", { original_query: "terraform destroy", request_type: "deploy", ...args });

const tenantPolicy = (args: Record<string, unknown> = {}) =>
  toolCall("axonflow_create_tenant_policy", {
    name: "No prod deploys",
    connector_type: "*",
    pattern: "deploy\\s+--env\\s+prod",
    action: "block",
    ...args,
  });

describe("tools/list", () => {
  it("lists every tool to every tier, Pro-only ones included", async () => {
    const { auth } = await pluginTenant();
    const body = (await (await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { auth })).json()) as {
      result: { tools: Array<{ name: string }> };
    };
    expect(body.result.tools.map((t) => t.name).sort()).toEqual(
      [
        "audit_tool_call",
        "axonflow_create_tenant_policy",
        "axonflow_get_cost_estimate",
        "axonflow_get_tenant_id",
        "axonflow_list_pro_features",
        "axonflow_request_approval",
        "check_output",
        "check_policy",
        "create_override",
        "delete_override",
        "explain_decision",
        "get_policy_stats",
        "list_overrides",
        "list_policies",
        "list_recent_decisions",
        "search_audit_events",
      ].sort(),
    );
  });
});

describe("axonflow_request_approval", () => {
  it("stores a pending request for a reviewer", async () => {
    const { tenant, auth } = await pluginTenant();
    const payload = await toolPayload(await rpc(approval({ severity: "high" }), { auth }));
    expect(payload).toMatchObject({
      success: true,
      submitted: true,
      awaiting_review: true,
      status: "pending",
      original_query: "terraform destroy",
      request_type: "deploy",
      severity: "high",
    });
    const rows = await superuser<{ id: string; severity: string; status: string; trigger_reason: string }>(
      "select id::text, severity, status, trigger_reason from approval_requests where tenant_id = $1",
      [tenant.tenant_id],
    );
    expect(rows).toEqual([
      {
        id: payload.approval_id,
        severity: "high",
        status: "pending",
        trigger_reason: "MCP-tool-initiated approval (axonflow_request_approval)",
      },
    ]);
  });

  it("gives Free 2 per rolling 7 days, then the 403 hitl_approvals_window envelope; Pro 20", async () => {
    const { tenant, auth } = await pluginTenant();
    for (let i = 0; i < 2; i++) await toolPayload(await rpc(approval(), { auth }));
    const capped = await rpc(approval(), { auth });
    expect(capped.headers.get("X-Axonflow-Tier-Limit")).toBe("hitl_approvals_window");
    const failure = await toolFailure(capped);
    expect(failure.status).toBe(403);
    const envelope = JSON.parse(failure.text) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      limit_type: "hitl_approvals_window",
      tier: "Free",
      limit: 2,
      remaining: 0,
      window: "rolling_7d",
    });
    expect(envelope.error).toMatch(
      /^HITL approval limit reached for the last 7 days\. Next available in (6 days 23 hours|7 days)\. Pro raises this to 20\/week\.$/,
    );
    // The oldest request leaving the window frees a slot.
    await superuser(
      "update approval_requests set created_at = now() - interval '8 days' where id = (select min(id) from approval_requests where tenant_id = $1)",
      [tenant.tenant_id],
    );
    await toolPayload(await rpc(approval(), { auth }));
    const pro = await proHeaders(tenant.tenant_id);
    await toolPayload(await rpc(approval(), { auth, headers: pro }));
  });

  it("answers missing fields and an unknown severity as tool errors", async () => {
    const { auth } = await pluginTenant();
    expect(await toolFailure(await rpc(approval({ original_query: "  " }), { auth }))).toEqual({
      status: 200,
      text: "original_query and request_type are required",
    });
    expect((await toolFailure(await rpc(approval({ severity: "urgent" }), { auth }))).text).toBe(
      "severity must be one of: low, medium, high, critical",
    );
    const wrongType = (await (await rpc(approval({ request_type: 7 }), { auth })).json()) as {
      error: { code: number };
    };
    expect(wrongType.error.code).toBe(-32602);
  });
});

describe("axonflow_create_tenant_policy", () => {
  it("creates an enabled policy that blocks the next matching call, for its tool only", async () => {
    const { tenant, auth } = await pluginTenant();
    expect((await checkPolicy(auth, "make deploy --env prod")).allowed).toBe(true);
    const created = await toolPayload(await rpc(tenantPolicy({ connector_type: "cursor.Shell" }), { auth }));
    expect(created).toMatchObject({
      success: true,
      created: true,
      enabled: true,
      enforced: true,
      action: "block",
      connector_type: "cursor.Shell",
      applies_to_connectors: ["cursor.Shell"],
      message:
        'Successfully created tenant-scoped policy "No prod deploys". It will apply to subsequent governed calls.',
    });
    expect(created.policy_id).toMatch(new RegExp(`^tenant-${tenant.tenant_id.slice(0, 12)}-[0-9a-f-]{36}$`));
    const blocked = await checkPolicy(auth, "make deploy --env prod");
    expect(blocked).toMatchObject({
      allowed: false,
      blocked_by: created.policy_id,
      block_reason: "Blocked by policy: No prod deploys",
    });
    expect((await checkPolicy(auth, "make deploy --env prod", "claude_code.Bash")).allowed).toBe(true);
    expect((await checkPolicy(auth, "make deploy --env staging")).allowed).toBe(true);
  });

  it("caps Free at 4 active policies with the 403 active_policies envelope", async () => {
    const { tenant, auth } = await pluginTenant();
    for (let i = 0; i < 4; i++) await toolPayload(await rpc(tenantPolicy({ name: `p${i}` }), { auth }));
    const capped = await rpc(tenantPolicy({ name: "p4" }), { auth });
    const failure = await toolFailure(capped);
    expect(failure.status).toBe(403);
    expect(JSON.parse(failure.text)).toMatchObject({
      error: "Free tier supports 4 active custom policies. Delete one to make room, or upgrade to Pro for up to 50.",
      limit_type: "active_policies",
      tier: "Free",
      limit: 4,
    });
    const count = await superuser<{ n: number }>(
      "select count(*)::int as n from static_policies where tenant_id = $1 and enabled",
      [tenant.tenant_id],
    );
    expect(count[0]?.n).toBe(4);
    await toolPayload(await rpc(tenantPolicy({ name: "p4" }), { auth, headers: await proHeaders(tenant.tenant_id) }));
  });

  it.each([
    [{ name: "" }, "name, connector_type, pattern, and action are required"],
    [{ connector_type: undefined }, "name, connector_type, pattern, and action are required"],
    [{ action: "redact" }, "action must be one of: block, warn, audit, require_approval"],
    [{ pattern: "(unclosed" }, /^Invalid regex pattern: invalid regex pattern: pattern has invalid RE2 syntax/],
    [{ pattern: "(a)\\1" }, /^Invalid regex pattern/],
  ])("refuses %o as a tool error and stores nothing", async (args, message) => {
    const { tenant, auth } = await pluginTenant();
    const failure = await toolFailure(await rpc(tenantPolicy(args), { auth }));
    expect(failure.status).toBe(200);
    if (typeof message === "string") expect(failure.text).toBe(message);
    else expect(failure.text).toMatch(message);
    const rows = await superuser("select 1 from static_policies where tenant_id = $1", [tenant.tenant_id]);
    expect(rows).toHaveLength(0);
  });

  it("warns instead of blocking when the action is warn", async () => {
    const { auth } = await pluginTenant();
    await toolPayload(await rpc(tenantPolicy({ action: "warn" }), { auth }));
    expect((await checkPolicy(auth, "make deploy --env prod")).allowed).toBe(true);
  });
});

describe("axonflow_get_cost_estimate", () => {
  it("answers Free with the 403 feature_pro_only envelope", async () => {
    const { auth } = await pluginTenant();
    const response = await rpc(toolCall("axonflow_get_cost_estimate", { plan: "summarise the repo" }), { auth });
    expect(response.headers.get("X-Axonflow-Tier-Limit")).toBe("feature_pro_only");
    const failure = await toolFailure(response);
    expect(failure.status).toBe(403);
    expect(JSON.parse(failure.text)).toMatchObject({
      error: "LLM cost pre-flight is a Pro feature — see what a multi-step plan will cost before it runs.",
      limit_type: "feature_pro_only",
      tier: "Free",
      limit: 0,
      remaining: 0,
    });
  });

  it("estimates a Pro plan from its length and the model's prices", async () => {
    const { tenant, auth } = await pluginTenant();
    const headers = await proHeaders(tenant.tenant_id);
    const plan = "x".repeat(4000);
    const sonnet = await toolPayload(await rpc(toolCall("axonflow_get_cost_estimate", { plan }), { auth, headers }));
    expect(sonnet).toMatchObject({
      success: true,
      currency: "USD",
      model: "claude-sonnet-4-6",
      provider: "anthropic",
      tokens_estimate: { input: 1050, output: 4096 },
    });
    // 1050 input tokens at $0.003/1K plus 4096 output tokens at $0.015/1K.
    expect(sonnet.estimated_cost_usd).toBeCloseTo(1.05 * 0.003 + 4.096 * 0.015, 6);
    const mini = await toolPayload(
      await rpc(toolCall("axonflow_get_cost_estimate", { plan, model: "gpt-4o-mini" }), { auth, headers }),
    );
    expect(mini).toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
    expect(mini.estimated_cost_usd as number).toBeLessThan(sonnet.estimated_cost_usd as number);
    expect(
      (await toolFailure(await rpc(toolCall("axonflow_get_cost_estimate", { plan: " " }), { auth, headers }))).text,
    ).toBe("plan is required");
  });
});
