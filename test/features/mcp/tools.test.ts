/** The governed tools as the plugins use them: decisions, redaction, audit rows, limits, cost. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAILY_QUOTA_ERROR } from "../../../src/limits/envelopes";
import { superuser } from "../../support/db";
import { withFrozenClock } from "../../support/http";
import { issueTestLicense } from "../../support/license";
import { checkPolicy, pluginTenant, rpc, toolCall, toolPayload } from "../../support/mcp";
import { gateStub } from "../../support/tenant";

describe("check_policy", () => {
  it.each(["ls -la", "git status", "cat README.md", "cat users.txt", "npm test -- --watch=false"])(
    "allows %s with only allowed, decision_id and policies_evaluated",
    async (statement) => {
      const { auth } = await pluginTenant();
      const payload = await checkPolicy(auth, statement);
      expect(Object.keys(payload).sort()).toEqual(["allowed", "decision_id", "policies_evaluated"]);
      expect(payload.allowed).toBe(true);
      expect(payload.decision_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(payload.policies_evaluated).toBeGreaterThanOrEqual(80);
    },
  );

  it.each([
    ['psql -c "DROP TABLE users"', "sys_sqli_drop_table", "Detects DROP TABLE statement"],
    ["rm -rf /", "sys_dangerous_destructive_fs", "Block destructive filesystem operations"],
  ])("denies %s with a critical, non-overridable match", async (statement, policyId, reason) => {
    const { auth } = await pluginTenant();
    const payload = await checkPolicy(auth, statement);
    expect(payload).toMatchObject({
      allowed: false,
      blocked_by: policyId,
      block_reason: reason,
      risk_level: "critical",
      policy_matches: [
        {
          policy_id: policyId,
          policy_name: expect.any(String),
          risk_level: "critical",
          allow_override: false,
          policy_version: 1,
        },
      ],
    });
    expect(payload.override_available).toBeUndefined();
  });

  it("offers an override for a non-critical block", async () => {
    const { auth } = await pluginTenant();
    const payload = await checkPolicy(auth, "cat ~/.ssh/id_rsa");
    expect(payload).toMatchObject({
      allowed: false,
      blocked_by: "sys_dangerous_credential_access",
      override_available: true,
    });
  });

  it("masks critical PII in an allowed statement (requires_redaction)", async () => {
    const { auth } = await pluginTenant();
    const payload = await checkPolicy(auth, "echo 'SSN 123-45-6789' >> notes.txt");
    expect(payload).toMatchObject({
      allowed: true,
      requires_redaction: true,
      redacted_statement: "echo 'SSN 1*********9' >> notes.txt",
    });
  });

  it("follows SQLI_ACTION=warn: DROP TABLE is allowed, rm -rf / still denied", async () => {
    const { auth } = await pluginTenant();
    const check = async (statement: string) =>
      toolPayload(
        await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement }), {
          auth,
          env: { SQLI_ACTION: "warn" },
        }),
      );
    expect((await check('psql -c "DROP TABLE users"')).allowed).toBe(true);
    expect((await check("rm -rf /")).allowed).toBe(false);
  });

  it("sorts result keys and pretty-prints the text like the reference", async () => {
    const { auth } = await pluginTenant();
    const response = await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement: "rm -rf /" }), {
      auth,
    });
    const text =
      ((await response.json()) as { result: { content: Array<{ text: string }> } }).result.content[0]?.text ?? "";
    expect(text.startsWith('{\n  "allowed": false,\n  "block_reason": ')).toBe(true);
  });
});

describe("check_output", () => {
  it("masks an SSN, a card number and an email in tool output (the governance alert)", async () => {
    const { auth } = await pluginTenant();
    const payload = await toolPayload(
      await rpc(
        toolCall("check_output", {
          connector_type: "claude_code.Bash",
          message: "ssn 123-45-6789, card 4111 1111 1111 1111, mail jane.roe@example.com",
        }),
        { auth },
      ),
    );
    expect(payload).toMatchObject({
      allowed: true,
      redacted_message: "ssn 1*********9, card 4*****************1, mail ja****************om",
    });
  });

  it("masks string values inside response_data rows and reports exfiltration info", async () => {
    const { auth } = await pluginTenant();
    const payload = await toolPayload(
      await rpc(
        toolCall("check_output", {
          connector_type: "openclaw.sql",
          response_data: [
            { id: 1, note: "ssn 123-45-6789" },
            { id: 2, note: "nothing here" },
          ],
        }),
        { auth },
      ),
    );
    expect(payload.redacted_data).toEqual([
      { id: 1, note: "ssn 1*********9" },
      { id: 2, note: "nothing here" },
    ]);
    expect(payload.exfiltration_info).toMatchObject({ rows_returned: 2, row_limit: 10000, within_limits: true });
  });

  it("returns clean output unchanged with no redaction fields", async () => {
    const { auth } = await pluginTenant();
    const payload = await toolPayload(
      await rpc(toolCall("check_output", { connector_type: "cursor.Shell", message: "total 12\ndrwxr-xr-x  src" }), {
        auth,
      }),
    );
    expect(Object.keys(payload).sort()).toEqual(["allowed", "decision_id", "policies_evaluated"]);
  });
});

describe("audit_tool_call and the records every call leaves", () => {
  it("records a tool call (policies_evaluated may be a string) and flushes rows to Postgres by alarm", async () => {
    const { tenant, auth } = await pluginTenant();
    const audited = await toolPayload(
      await rpc(
        toolCall("audit_tool_call", {
          tool_name: "Bash",
          tool_type: "claude_code",
          caller_name: "claude_code",
          input: { statement: "rm -rf /" },
          output: {
            policy_decision: "blocked",
            block_reason: "Block destructive filesystem operations",
            policies_evaluated: "83",
          },
          success: false,
          error_message: "Blocked by policy: Block destructive filesystem operations",
        }),
        { auth, settled: true },
      ),
    );
    expect(audited).toMatchObject({
      recorded: true,
      tool_name: "Bash",
      details: { audit_id: expect.stringMatching(/^audit_/), status: "recorded" },
    });
    await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement: "rm -rf /" }), {
      auth,
      settled: true,
    });

    const before = await superuser("select 1 from audit_logs where tenant_id = $1", [tenant.tenant_id]);
    expect(before).toHaveLength(0);
    expect(await runDurableObjectAlarm(gateStub(tenant.tenant_id))).toBe(true);

    const audits = await superuser<{ request_type: string; policy_decision: string; query: string; org_id: string }>(
      "select request_type, policy_decision, query, org_id from audit_logs where tenant_id = $1 order by request_type",
      [tenant.tenant_id],
    );
    expect(audits).toEqual([
      { request_type: "mcp_check_input", policy_decision: "blocked", query: "rm -rf /", org_id: tenant.tenant_id },
      { request_type: "tool_call_audit", policy_decision: "blocked", query: "Tool: Bash", org_id: tenant.tenant_id },
    ]);
    const decisions = await superuser<{ decision: string; policy_id: string; call_site: string }>(
      "select decision, policy_id, call_site from policy_decisions where tenant_id = $1",
      [tenant.tenant_id],
    );
    expect(decisions).toEqual([
      { decision: "blocked", policy_id: "sys_dangerous_destructive_fs", call_site: "mcp_check_policy" },
    ]);
  });

  it("stores a masked excerpt, never the PII itself", async () => {
    const { tenant, auth } = await pluginTenant();
    await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement: "echo 4111 1111 1111 1111" }), {
      auth,
      settled: true,
    });
    await runDurableObjectAlarm(gateStub(tenant.tenant_id));
    const [row] = await superuser<{ query: string }>("select query from audit_logs where tenant_id = $1", [
      tenant.tenant_id,
    ]);
    expect(row?.query).toBe("echo 4*****************1");
  });

  it("answers a tool error for a blank tool_name", async () => {
    const { auth } = await pluginTenant();
    const body = (await (
      await rpc(toolCall("audit_tool_call", { tool_name: "  ", input: {}, success: true }), { auth })
    ).json()) as {
      result: { content: Array<{ text: string }>; isError: boolean };
    };
    expect(body.result).toEqual({ content: [{ type: "text", text: "tool_name is required" }], isError: true });
  });
});

describe("limits inside JSON-RPC", () => {
  it("answers the 201st Free tools/call of the day with a 429 daily envelope in the result", async () => {
    const { auth } = await pluginTenant();
    const roomy = { COMMUNITY_SAAS_MINUTE_LIMIT: "1000", COMMUNITY_SAAS_MINUTE_LIMIT_FREE: "1000" };
    const send = () => rpc(toolCall("axonflow_get_tenant_id", {}, 11), { auth, env: roomy });
    for (let i = 0; i < 200; i++) expect((await send()).status).toBe(200);
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("X-Axonflow-Tier-Limit")).toBe("daily_quota");
    const body = (await limited.json()) as {
      id: number;
      result: { content: Array<{ text: string }>; isError: boolean };
    };
    expect(body.id).toBe(11);
    expect(body.result.isError).toBe(true);
    expect(JSON.parse(body.result.content[0]?.text ?? "")).toMatchObject({
      error: DAILY_QUOTA_ERROR,
      limit_type: "daily_quota",
      tier: "Free",
      limit: 200,
    });
    // tools/list is outside the daily cap.
    expect((await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, { auth, env: roomy })).status).toBe(200);
  });

  it("answers the 26th Free call in a minute with the per-minute envelope", () =>
    withFrozenClock(async () => {
      const { auth } = await pluginTenant();
      const responses = await Promise.all(
        Array.from({ length: 26 }, (_, i) => rpc(toolCall("axonflow_get_tenant_id", {}, i), { auth })),
      );
      const limited = responses.filter((r) => r.status === 429);
      expect(limited).toHaveLength(1);
      const body = (await (limited[0] as Response).json()) as { result: { content: Array<{ text: string }> } };
      expect(JSON.parse(body.result.content[0]?.text ?? "")).toMatchObject({
        limit_type: "per_minute",
        tier: "Free",
        limit: 25,
      });
    }));

  it("uses the Pro tier of a valid license token", async () => {
    const { tenant, auth } = await pluginTenant();
    const { token } = await issueTestLicense(tenant.tenant_id);
    const payload = await toolPayload(
      await rpc(toolCall("axonflow_get_tenant_id", {}), { auth, headers: { "X-License-Token": token } }),
    );
    expect(payload).toMatchObject({ tenant_id: tenant.tenant_id, tier: "Pro", success: true });
  });

  it("answers a scope-mismatched license with -32001 (plugins fail closed)", async () => {
    const { tenant, auth } = await pluginTenant();
    const { token } = await issueTestLicense(tenant.tenant_id);
    const response = await rpc(toolCall("check_policy", { connector_type: "x", statement: "ls" }), {
      auth,
      headers: { "X-License-Token": token, "X-Axonflow-Client": "sdk-typescript/9.2.0" },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: -32001, message: expect.stringContaining("scope_mismatch") },
    });
  });
});

describe("hot path cost", () => {
  it("costs one Durable Object round trip, no Postgres query, and one deferred gate call when warm", async () => {
    const { auth } = await pluginTenant();
    await checkPolicy(auth, "ls");
    const warm = await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement: "git status" }), {
      auth,
    });
    expect(warm.headers.get("X-Axonflow-Request-Cost")).toBe("do=1; db=0; deferred_do=1");
  });
});
