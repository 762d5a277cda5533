/** list_policies, get_policy_stats and search_audit_events over the tenant's own data. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { superuser } from "../../support/db";
import { call } from "../../support/http";
import { pluginTenant, rpc, toolCall, toolPayload } from "../../support/mcp";
import { gateStub } from "../../support/tenant";

type RpcBody = { result: { content: Array<{ text: string }>; isError?: boolean } };

async function toolErrorText(response: Response): Promise<string> {
  const body = (await response.json()) as RpcBody;
  expect(body.result.isError).toBe(true);
  return body.result.content[0]?.text ?? "";
}

/** Runs checks for `statements` and flushes their audit rows to Postgres. */
async function governed(tenantId: string, auth: string, statements: string[]): Promise<void> {
  for (const statement of statements) {
    await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement }), { auth, settled: true });
  }
  expect(await runDurableObjectAlarm(gateStub(tenantId))).toBe(true);
}

const tool = (auth: string, name: string, args: Record<string, unknown> = {}) =>
  rpc(toolCall(name, args, "t"), { auth });

describe("list_policies", () => {
  it("lists the system policies and the tenant's own, each with its source, filtered by category and severity", async () => {
    const { auth } = await pluginTenant();
    await toolPayload(
      await tool(auth, "axonflow_create_tenant_policy", {
        name: "No prod deploys",
        connector_type: "*",
        pattern: "deploy --env prod",
        action: "block",
      }),
    );
    const dynamic = await call("/api/v1/dynamic-policies", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Shell rate",
        type: "rate-limit",
        conditions: [{ field: "requests_per_minute", operator: "equals", value: 30 }],
        actions: [{ type: "block" }],
        enabled: true,
      }),
    });
    expect(dynamic.status).toBe(201);
    const all = (await toolPayload(await tool(auth, "list_policies"))) as {
      policies: Array<{ policy_id: string; source: string; tier: string; severity?: string; category: string }>;
      count: number;
    };
    expect(all.count).toBe(all.policies.length);
    expect(all.policies.filter((p) => p.tier === "system").length).toBeGreaterThanOrEqual(80);
    const own = all.policies.filter((p) => p.tier === "tenant");
    expect(own).toEqual([
      expect.objectContaining({ source: "static", policy_id: expect.stringMatching(/^tenant-/) }),
      expect.objectContaining({ source: "dynamic", name: "Shell rate", type: "rate-limit" }),
    ]);
    expect(all.policies.filter((p) => p.source === "dynamic")).toHaveLength(1);

    const sqli = (await toolPayload(await tool(auth, "list_policies", { category: "security-sqli" }))) as typeof all;
    expect(sqli.count).toBeGreaterThan(0);
    expect(sqli.policies.every((p) => p.category === "security-sqli")).toBe(true);
    const critical = (await toolPayload(await tool(auth, "list_policies", { severity: "critical" }))) as typeof all;
    expect(critical.count).toBeGreaterThan(0);
    expect(critical.count).toBeLessThan(all.count);
    expect(critical.policies.every((p) => p.severity === "critical")).toBe(true);
    const ratePolicies = (await toolPayload(
      await tool(auth, "list_policies", { category: "dynamic-security" }),
    )) as typeof all;
    expect(ratePolicies.policies.map((p) => p.source)).toEqual(["dynamic"]);
  });

  it("does not show another tenant's policies", async () => {
    const first = await pluginTenant();
    const second = await pluginTenant();
    await toolPayload(
      await tool(first.auth, "axonflow_create_tenant_policy", {
        name: "mine",
        connector_type: "*",
        pattern: "secret-thing",
        action: "warn",
      }),
    );
    const listed = (await toolPayload(await tool(second.auth, "list_policies"))) as {
      policies: Array<{ tier: string }>;
    };
    expect(listed.policies.filter((p) => p.tier !== "system")).toEqual([]);
  });
});

describe("get_policy_stats", () => {
  it("summarises the last 24 hours of checks", async () => {
    const { tenant, auth } = await pluginTenant();
    await governed(tenant.tenant_id, auth, ["ls", "git status", "rm -rf /"]);
    const stats = await toolPayload(await tool(auth, "get_policy_stats"));
    expect(stats).toMatchObject({
      total_events: 3,
      total_requests: 3,
      allowed_requests: 2,
      blocked_requests: 1,
      top_policies: [expect.objectContaining({ trigger_count: 1, block_count: 1 })],
    });
    expect(stats.block_rate_percent).toBeCloseTo(100 / 3, 6);
  });

  it("takes YYYY-MM-DD days and excludes what lies outside them", async () => {
    const { tenant, auth } = await pluginTenant();
    await governed(tenant.tenant_id, auth, ["ls"]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await toolPayload(await tool(auth, "get_policy_stats", { from: today, to: today }))).toMatchObject({
      total_events: 1,
    });
    expect(
      await toolPayload(await tool(auth, "get_policy_stats", { from: "2020-01-01", to: "2020-01-02" })),
    ).toMatchObject({ total_events: 0 });
  });

  it("answers unparseable times as tool errors", async () => {
    const { auth } = await pluginTenant();
    expect(await toolErrorText(await tool(auth, "get_policy_stats", { from: "yesterday" }))).toBe(
      "get policy stats failed: Invalid start_time: must be RFC3339 format",
    );
    expect(await toolErrorText(await tool(auth, "get_policy_stats", { to: "2026-13-01" }))).toBe(
      "get policy stats failed: Invalid end_time: must be RFC3339 format",
    );
  });
});

describe("search_audit_events", () => {
  it("finds the last 15 minutes' events, newest first, limited and filtered by request type", async () => {
    const { tenant, auth } = await pluginTenant();
    await governed(tenant.tenant_id, auth, ["ls", "pwd", "whoami"]);
    await toolPayload(
      await rpc(toolCall("audit_tool_call", { tool_name: "Bash", input: { command: "ls" }, success: true }, "a"), {
        auth,
        settled: true,
      }),
    );
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const page = (await toolPayload(await tool(auth, "search_audit_events"))) as {
      entries: Array<{ request_type: string; timestamp: string; tenant_id: string }>;
      total: number;
      limit: number;
    };
    expect(page.total).toBe(4);
    expect(page.limit).toBe(20);
    expect(page.entries.every((e) => e.tenant_id === tenant.tenant_id)).toBe(true);
    const times = page.entries.map((e) => e.timestamp);
    expect([...times].sort().reverse()).toEqual(times);

    const audits = (await toolPayload(
      await tool(auth, "search_audit_events", { request_type: "tool_call_audit" }),
    )) as typeof page;
    expect(audits.entries.map((e) => e.request_type)).toEqual(["tool_call_audit"]);
    const two = (await toolPayload(await tool(auth, "search_audit_events", { limit: 2 }))) as typeof page;
    expect(two.entries).toHaveLength(2);
    expect(two.total).toBe(4);
    const clamped = (await toolPayload(await tool(auth, "search_audit_events", { limit: 5000 }))) as typeof page;
    expect(clamped.limit).toBe(100);
  });

  it("leaves out events older than the window unless asked", async () => {
    const { tenant, auth } = await pluginTenant();
    await governed(tenant.tenant_id, auth, ["ls"]);
    await superuser("update audit_logs set timestamp = now() - interval '1 hour' where tenant_id = $1", [
      tenant.tenant_id,
    ]);
    expect(await toolPayload(await tool(auth, "search_audit_events"))).toMatchObject({ total: 0 });
    const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
    expect(await toolPayload(await tool(auth, "search_audit_events", { from }))).toMatchObject({ total: 1 });
  });

  it("cuts long queries to 200 characters", async () => {
    const { tenant, auth } = await pluginTenant();
    await governed(tenant.tenant_id, auth, [`echo ${"a".repeat(300)}`]);
    const page = (await toolPayload(await tool(auth, "search_audit_events"))) as { entries: Array<{ query: string }> };
    expect(page.entries[0]?.query).toBe(`echo ${"a".repeat(195)}...(truncated)`);
  });

  it("answers an unparseable time as a tool error", async () => {
    const { auth } = await pluginTenant();
    expect(await toolErrorText(await tool(auth, "search_audit_events", { from: "an hour ago" }))).toBe(
      "search audit events failed: from must be an RFC 3339 time",
    );
  });
});
