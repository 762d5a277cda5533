/** GET /api/v1/decisions, GET /api/v1/decisions/{id}/explain and their MCP tools. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { call } from "../support/http";
import { issueTestLicense } from "../support/license";
import { pluginTenant, rpc, toolCall, toolPayload } from "../support/mcp";
import { gateStub } from "../support/tenant";

const get = (path: string, auth?: string, headers: Record<string, string> = {}) =>
  call(path, { headers: { ...(auth ? { Authorization: auth } : {}), ...headers } });

/** Makes decisions through check_policy and writes them to Postgres. */
async function decide(tenantId: string, auth: string, statements: string[]) {
  const ids: string[] = [];
  for (const statement of statements) {
    const settled = await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement }), {
      auth,
      settled: true,
    });
    ids.push((await toolPayload(settled)).decision_id as string);
  }
  await runDurableObjectAlarm(gateStub(tenantId));
  return ids;
}

describeAuthSecurity("GET /api/v1/decisions", (auth) => get("/api/v1/decisions", auth));
describeAuthSecurity("GET /api/v1/decisions/{id}/explain", (auth) =>
  get(`/api/v1/decisions/${crypto.randomUUID()}/explain`, auth),
);

describe("GET /api/v1/decisions", () => {
  it("lists the tenant's recent decisions, newest first, with canonical verdicts", async () => {
    const { tenant, auth } = await pluginTenant();
    const [allowed, blocked] = await decide(tenant.tenant_id, auth, ["ls -la", "rm -rf /"]);
    const response = await get("/api/v1/decisions", auth);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { decisions: Array<Record<string, string>> };
    expect(body.decisions).toEqual([
      {
        decision_id: blocked,
        timestamp: expect.any(String),
        decision: "blocked",
        policy_id: "sys_dangerous_destructive_fs",
        tool_signature: "cursor.Shell",
      },
      { decision_id: allowed, timestamp: expect.any(String), decision: "allowed", tool_signature: "cursor.Shell" },
    ]);
  });

  it("filters by verdict (old spellings too), policy and tool", async () => {
    const { tenant, auth } = await pluginTenant();
    await decide(tenant.tenant_id, auth, ["ls", "rm -rf /", "cat ~/.ssh/id_rsa"]);
    const ids = async (query: string) =>
      ((await (await get(`/api/v1/decisions?${query}`, auth)).json()) as { decisions: Array<{ policy_id?: string }> })
        .decisions;
    expect(await ids("decision=deny")).toHaveLength(2);
    expect(await ids("decision=blocked&policy_id=sys_dangerous_credential_access")).toHaveLength(1);
    expect(await ids("decision=allow")).toHaveLength(1);
    expect(await ids("tool_signature=claude_code.Bash")).toHaveLength(0);
    expect(await ids("limit=1")).toHaveLength(1);
  });

  it("answers a Free limit over 5 with the 429 decision_list_size envelope, a Pro one over 100 too", async () => {
    const { tenant, auth } = await pluginTenant();
    const over = await get("/api/v1/decisions?limit=6", auth);
    expect(over.status).toBe(429);
    expect(over.headers.get("X-Axonflow-Tier-Limit")).toBe("decision_list_size");
    expect(over.headers.get("Retry-After")).toBeNull();
    expect(await over.json()).toEqual({
      error: "Free tier shows the last 5 decisions in 24h. Pro raises this to 100 decisions in the last 30 days.",
      limit_type: "decision_list_size",
      tier: "Free",
      limit: 5,
      remaining: 0,
      upgrade: expect.objectContaining({ tier: "Pro", buy_url: expect.stringContaining("buy.stripe.com") }),
    });
    const { token } = await issueTestLicense(tenant.tenant_id);
    const pro = { "X-License-Token": token, "X-Axonflow-Client": "claude-code-plugin/1.13.0" };
    expect((await get("/api/v1/decisions?limit=100", auth, pro)).status).toBe(200);
    expect((await get("/api/v1/decisions?limit=101", auth, pro)).status).toBe(429);
  });

  it("shows a Free tenant only the last 24 hours", async () => {
    const { tenant, auth } = await pluginTenant();
    await decide(tenant.tenant_id, auth, ["ls", "pwd"]);
    await superuser(
      "update policy_decisions set timestamp = now() - interval '25 hours' where tenant_id = $1 and decision_id in (select decision_id from policy_decisions where tenant_id = $1 order by timestamp limit 1)",
      [tenant.tenant_id],
    );
    const body = (await (await get("/api/v1/decisions?since=2020-01-01T00:00:00Z", auth)).json()) as {
      decisions: unknown[];
    };
    expect(body.decisions).toHaveLength(1);
  });

  it("answers bad parameters with 400 and the reference's messages", async () => {
    const { auth } = await pluginTenant();
    for (const [query, message] of [
      ["limit=0", "limit must be a positive integer"],
      ["limit=x", "limit must be a positive integer"],
      ["since=yesterday", "since must be RFC3339 (e.g. 2026-05-01T00:00:00Z)"],
      ["decision=maybe", "decision must be one of: allowed, blocked, redacted, needs_approval, error"],
    ]) {
      const response = await get(`/api/v1/decisions?${query}`, auth);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ success: false, error: message });
    }
  });
});

describe("GET /api/v1/decisions/{id}/explain", () => {
  it("explains a block: matches, reason, risk, override availability, recent hits", async () => {
    const { tenant, auth } = await pluginTenant();
    const [, id] = await decide(tenant.tenant_id, auth, ["cat ~/.ssh/id_rsa", "cat ~/.ssh/id_ed25519"]);
    const response = await get(`/api/v1/decisions/${id}/explain`, auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      decision_id: id,
      timestamp: expect.any(String),
      policy_matches: [
        {
          policy_id: "sys_dangerous_credential_access",
          policy_name: expect.any(String),
          action: "block",
          risk_level: "medium",
          allow_override: true,
          policy_description: expect.any(String),
        },
      ],
      decision: "blocked",
      reason: expect.any(String),
      risk_level: "medium",
      override_available: true,
      historical_hit_count_session: 2,
      tool_signature: "cursor.Shell",
    });
  });

  it("answers 404 for an unknown id and for another tenant's decision", async () => {
    const owner = await pluginTenant();
    const [id] = await decide(owner.tenant.tenant_id, owner.auth, ["rm -rf /"]);
    const stranger = await pluginTenant();
    for (const [path, auth] of [
      [`/api/v1/decisions/${crypto.randomUUID()}/explain`, owner.auth],
      [`/api/v1/decisions/${id}/explain`, stranger.auth],
    ] as const) {
      const response = await get(path, auth);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: "Decision not found or past retention window" });
    }
    const listed = (await (await get("/api/v1/decisions", stranger.auth)).json()) as { decisions: unknown[] };
    expect(listed.decisions).toEqual([]);
  });
});

describe("MCP list_recent_decisions and explain_decision", () => {
  it("lists decisions and answers the cap as data with upgrade_required", async () => {
    const { tenant, auth } = await pluginTenant();
    const [id] = await decide(tenant.tenant_id, auth, ["rm -rf /"]);
    const listed = await toolPayload(await rpc(toolCall("list_recent_decisions", { limit: 3 }), { auth }));
    expect(listed).toEqual({ decisions: [expect.objectContaining({ decision_id: id, decision: "blocked" })] });
    const capped = await rpc(toolCall("list_recent_decisions", { limit: 10 }), { auth });
    expect(capped.status).toBe(200);
    expect(await toolPayload(capped)).toMatchObject({
      upgrade_required: true,
      envelope: { limit_type: "decision_list_size", limit: 5, upgrade: { buy_url: expect.any(String) } },
    });
    const explained = await toolPayload(await rpc(toolCall("explain_decision", { decision_id: id }), { auth }));
    expect(explained).toMatchObject({ decision_id: id, decision: "blocked", override_available: false });
  });

  it("answers an unknown decision as a tool error", async () => {
    const { auth } = await pluginTenant();
    const body = (await (await rpc(toolCall("explain_decision", { decision_id: "nope" }), { auth })).json()) as {
      result: { content: Array<{ text: string }>; isError: boolean };
    };
    expect(body.result).toEqual({
      content: [{ type: "text", text: "explain decision failed: Decision not found or past retention window" }],
      isError: true,
    });
  });
});
