/** /api/v1/overrides and the MCP override tools: the checks, the effect on check_policy, expiry, isolation. */
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { basic, call, orchestratorError } from "../support/http";
import { checkPolicy, pluginTenant, rpc, toolCall, toolPayload } from "../support/mcp";
import { gateStub } from "../support/tenant";

const OVERRIDABLE = "sys_dangerous_credential_access";
const STATEMENT = "cat ~/.ssh/id_rsa";

const api = (method: string, path: string, auth?: string, body?: unknown) =>
  call(path, {
    method,
    headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const create = (auth: string, body: Record<string, unknown>) =>
  api("POST", "/api/v1/overrides", auth, { policy_type: "static", override_reason: "reading my own key", ...body });

describeAuthSecurity("POST /api/v1/overrides", (auth) => create(auth ?? "", { policy_id: OVERRIDABLE }).then((r) => r));
describeAuthSecurity("GET /api/v1/overrides", (auth) => api("GET", "/api/v1/overrides", auth));

describe("POST /api/v1/overrides", () => {
  it("creates an override with the default TTL", async () => {
    const { auth } = await pluginTenant();
    const response = await create(auth, { policy_id: OVERRIDABLE });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      policy_id: OVERRIDABLE,
      policy_type: "static",
      expires_at: expect.any(String),
      ttl_seconds: 3600,
      created_at: expect.any(String),
    });
    expect(Date.parse(body.expires_at as string) - Date.parse(body.created_at as string)).toBe(3_600_000);
  });

  it("clamps the TTL to 60..86400 and says so", async () => {
    const { auth } = await pluginTenant();
    expect(await (await create(auth, { policy_id: OVERRIDABLE, ttl_seconds: 5 })).json()).toMatchObject({
      ttl_seconds: 60,
      requested_ttl: 5,
      clamped: true,
      clamped_reason: "below_minimum",
    });
    expect(await (await create(auth, { policy_id: OVERRIDABLE, ttl_seconds: 999_999 })).json()).toMatchObject({
      ttl_seconds: 86400,
      clamped: true,
      clamped_reason: "exceeds_hard_cap",
    });
  });

  // Found by the fuzz (test/fuzz): the requested TTL went into an integer column as it came, a 500.
  it("clamps a requested TTL no integer column holds, on REST and MCP alike", async () => {
    const { auth } = await pluginTenant();
    const rest = await create(auth, { policy_id: OVERRIDABLE, ttl_seconds: 1e300 });
    expect(rest.status).toBe(201);
    expect(await rest.json()).toMatchObject({ ttl_seconds: 86400, requested_ttl: 2_147_483_647, clamped: true });
    const mcp = await toolPayload(
      await rpc(
        toolCall("create_override", {
          policy_id: OVERRIDABLE,
          policy_type: "static",
          override_reason: "ok",
          ttl_seconds: -1e300,
        }),
        { auth },
      ),
    );
    expect(mcp).toMatchObject({ ttl_seconds: 60, requested_ttl: -2_147_483_648, clamped_reason: "below_minimum" });
  });

  it("refuses critical and unknown policies and bad bodies with the reference's messages", async () => {
    const { auth } = await pluginTenant();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ policy_id: "sys_dangerous_destructive_fs" }, 403, "Critical-risk policies cannot be overridden"],
      [{ policy_id: "sys_sqli_drop_table" }, 403, "Critical-risk policies cannot be overridden"],
      [{ policy_id: "no_such_policy" }, 404, "Policy not found"],
      [{ policy_id: "" }, 400, "policy_id is required"],
      [{ policy_id: OVERRIDABLE, policy_type: "other" }, 400, "policy_type must be 'static' or 'dynamic'"],
      [
        { policy_id: OVERRIDABLE, override_reason: "  " },
        400,
        "override_reason is required (ADR-044: mandatory justification)",
      ],
      [
        { policy_id: OVERRIDABLE, override_reason: "x".repeat(501) },
        400,
        "override_reason exceeds maximum length of 500 characters",
      ],
    ];
    for (const [body, status, message] of cases) {
      const response = await create(auth, body);
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual(orchestratorError(message));
    }
    expect((await api("POST", "/api/v1/overrides", auth, "not json")).status).toBe(400);
  });
});

describe("an override's effect on check_policy", () => {
  it("lets the blocked statement through on the next request, until it is deleted", async () => {
    const { auth } = await pluginTenant();
    expect((await checkPolicy(auth, STATEMENT)).allowed).toBe(false);
    const { id } = (await (await create(auth, { policy_id: OVERRIDABLE })).json()) as { id: string };
    const allowed = await checkPolicy(auth, STATEMENT);
    expect(allowed).toMatchObject({ allowed: true, override_existing_id: id });
    expect(allowed.block_reason).toBeUndefined();
    // Another blocking policy in the same statement still blocks.
    expect((await checkPolicy(auth, `${STATEMENT} && rm -rf /`)).blocked_by).toBe("sys_dangerous_destructive_fs");

    const deleted = await api("DELETE", `/api/v1/overrides/${id}`, auth);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id, revoked_at: expect.any(String) });
    expect((await checkPolicy(auth, STATEMENT)).allowed).toBe(false);
    expect((await api("DELETE", `/api/v1/overrides/${id}`, auth)).status).toBe(404);
  });

  it("stops applying once expired", async () => {
    const { tenant, auth } = await pluginTenant();
    const { id } = (await (await create(auth, { policy_id: OVERRIDABLE, ttl_seconds: 60 })).json()) as { id: string };
    expect((await checkPolicy(auth, STATEMENT)).allowed).toBe(true);
    await superuser("update policy_overrides set expires_at = now() - interval '1 second' where id = $1", [id]);
    await gateStub(tenant.tenant_id).invalidate();
    expect((await checkPolicy(auth, STATEMENT)).allowed).toBe(false);
  });

  it("applies to its tool_signature only", async () => {
    const { auth } = await pluginTenant();
    await create(auth, { policy_id: OVERRIDABLE, tool_signature: "cursor.Shell" });
    expect((await checkPolicy(auth, STATEMENT, "cursor.Shell")).allowed).toBe(true);
    expect((await checkPolicy(auth, STATEMENT, "claude_code.Bash")).allowed).toBe(false);
  });

  it("also changes the REST check-input outcome", async () => {
    const { auth } = await pluginTenant();
    const { id } = (await (await create(auth, { policy_id: OVERRIDABLE })).json()) as { id: string };
    const response = await api("POST", "/api/v1/mcp/check-input", auth, {
      connector_type: "openclaw.exec",
      statement: STATEMENT,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ allowed: true, override_existing_id: id });
  });
});

describe("reading and revoking overrides", () => {
  it("lists, reads and filters the tenant's own overrides, revoked ones on request", async () => {
    const { auth } = await pluginTenant();
    const { id } = (await (await create(auth, { policy_id: OVERRIDABLE })).json()) as { id: string };
    await create(auth, { policy_id: "sys_pii_email" });
    const listed = (await (await api("GET", "/api/v1/overrides", auth)).json()) as {
      overrides: Array<{ id: string }>;
      count: number;
    };
    expect(listed.count).toBe(2);
    const filtered = (await (await api("GET", `/api/v1/overrides?policy_id=${OVERRIDABLE}`, auth)).json()) as {
      count: number;
    };
    expect(filtered.count).toBe(1);
    expect(await (await api("GET", `/api/v1/overrides/${id}`, auth)).json()).toMatchObject({
      id,
      policy_id: OVERRIDABLE,
      override_reason: "reading my own key",
      created_by: expect.stringMatching(/^mcp-client:cs_/),
    });
    await api("DELETE", `/api/v1/overrides/${id}`, auth);
    expect(((await (await api("GET", "/api/v1/overrides", auth)).json()) as { count: number }).count).toBe(1);
    const all = (await (await api("GET", "/api/v1/overrides?include_revoked=true", auth)).json()) as {
      overrides: Array<{ id: string; revoked_at?: string }>;
    };
    expect(all.overrides.find((o) => o.id === id)?.revoked_at).toEqual(expect.any(String));
  });

  it("keeps tenants apart: another tenant cannot see, read or revoke an override", async () => {
    const owner = await pluginTenant();
    const stranger = await pluginTenant();
    const { id } = (await (await create(owner.auth, { policy_id: OVERRIDABLE })).json()) as { id: string };
    expect(((await (await api("GET", "/api/v1/overrides", stranger.auth)).json()) as { count: number }).count).toBe(0);
    expect((await api("GET", `/api/v1/overrides/${id}`, stranger.auth)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/overrides/${id}`, stranger.auth)).status).toBe(404);
    expect((await checkPolicy(stranger.auth, STATEMENT)).allowed).toBe(false);
    expect((await api("GET", "/api/v1/overrides/not-a-uuid", owner.auth)).status).toBe(404);
  });
});

describe("MCP override tools", () => {
  it("create_override, list_overrides and delete_override work like the REST routes", async () => {
    const { auth } = await pluginTenant();
    const created = await toolPayload(
      await rpc(toolCall("create_override", { policy_id: OVERRIDABLE, policy_type: "static", override_reason: "ok" }), {
        auth,
      }),
    );
    expect(created).toMatchObject({ policy_id: OVERRIDABLE, ttl_seconds: 3600 });
    expect((await checkPolicy(auth, STATEMENT)).override_existing_id).toBe(created.id);
    const listed = await toolPayload(await rpc(toolCall("list_overrides", {}), { auth }));
    expect(listed).toMatchObject({ count: 1, overrides: [{ id: created.id, override_reason: "ok" }] });
    const deleted = await toolPayload(await rpc(toolCall("delete_override", { override_id: created.id }), { auth }));
    expect(deleted).toMatchObject({ id: created.id });
  });

  it("answers refusals as tool errors", async () => {
    const { auth } = await pluginTenant();
    const critical = (await (
      await rpc(
        toolCall("create_override", {
          policy_id: "sys_dangerous_destructive_fs",
          policy_type: "static",
          override_reason: "x",
        }),
        { auth },
      )
    ).json()) as { result: { content: Array<{ text: string }>; isError: boolean } };
    expect(critical.result).toEqual({
      content: [{ type: "text", text: "create override failed: Critical-risk policies cannot be overridden" }],
      isError: true,
    });
    const missing = (await (await rpc(toolCall("delete_override", {}), { auth })).json()) as {
      result: { content: Array<{ text: string }> };
    };
    expect(missing.result.content[0]?.text).toBe("override_id is required");
  });
});

describe("isolation of the data behind a Basic credential", () => {
  it("answers the override routes for a wrong secret with 401", async () => {
    const { tenant } = await pluginTenant();
    expect((await api("GET", "/api/v1/overrides", basic(tenant.tenant_id, "0".repeat(32)))).status).toBe(401);
  });
});
