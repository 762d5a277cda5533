/** /api/v1/static-policies, its pattern tester, /api/policies/test, and tenant policies in check_policy. */
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { call, expectErrorA } from "../support/http";
import { issueTestLicense } from "../support/license";
import { checkPolicy, pluginTenant } from "../support/mcp";

const api = (method: string, path: string, auth?: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method,
    headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const policy = (overrides: Record<string, unknown> = {}) => ({
  name: "No prod deploys",
  description: "Blocks deploys to production from the agent",
  category: "security-dangerous",
  pattern: "deploy\\s+--env\\s+prod",
  action: "block",
  severity: "high",
  enabled: true,
  ...overrides,
});

const create = (auth: string, overrides: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  api("POST", "/api/v1/static-policies", auth, policy(overrides), headers);

describeAuthSecurity("GET /api/v1/static-policies", (auth) => api("GET", "/api/v1/static-policies", auth));
describeAuthSecurity("POST /api/v1/static-policies", (auth) => api("POST", "/api/v1/static-policies", auth, policy()));
describeAuthSecurity("POST /api/policies/test", (auth) => api("POST", "/api/policies/test", auth, { query: "x" }));

describe("tenant static policies", () => {
  it("creates a policy that blocks on the very next check_policy", async () => {
    const { tenant, auth } = await pluginTenant();
    expect((await checkPolicy(auth, "make deploy --env prod")).allowed).toBe(true);
    const response = await create(auth);
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown>;
    expect(created).toMatchObject({
      policy_id: expect.stringMatching(/^custom_[0-9a-f]{12}$/),
      tier: "tenant",
      tenant_id: tenant.tenant_id,
      enabled: true,
      version: 1,
      risk_level: "medium",
      allow_override: true,
    });
    expect(await checkPolicy(auth, "make deploy --env prod")).toMatchObject({
      allowed: false,
      blocked_by: created.policy_id,
      block_reason: "Blocks deploys to production from the agent",
    });
    expect((await checkPolicy(auth, "make deploy --env staging")).allowed).toBe(true);
  });

  it("scopes a policy to its connector_type", async () => {
    const { auth } = await pluginTenant();
    await create(auth, { connector_type: "claude_code.Bash" });
    expect((await checkPolicy(auth, "deploy --env prod", "claude_code.Bash")).allowed).toBe(false);
    const other = await checkPolicy(auth, "deploy --env prod", "cursor.Shell");
    expect(other, JSON.stringify(other)).toMatchObject({ allowed: true });
  });

  it("updates, disables and deletes a policy, each visible on the next check", async () => {
    const { auth } = await pluginTenant();
    const { id } = (await (await create(auth)).json()) as { id: string };
    const updated = await api("PUT", `/api/v1/static-policies/${id}`, auth, { pattern: "ship\\s+it" });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ pattern: "ship\\s+it", version: 2 });
    expect((await checkPolicy(auth, "deploy --env prod")).allowed).toBe(true);
    expect((await checkPolicy(auth, "ship it")).allowed).toBe(false);
    expect((await api("PATCH", `/api/v1/static-policies/${id}`, auth, { enabled: false })).status).toBe(200);
    expect((await checkPolicy(auth, "ship it")).allowed).toBe(true);
    expect((await api("DELETE", `/api/v1/static-policies/${id}`, auth)).status).toBe(204);
    await expectErrorA(await api("GET", `/api/v1/static-policies/${id}`, auth), 404, "Policy not found");
    await expectErrorA(await api("DELETE", `/api/v1/static-policies/${id}`, auth), 404, "Policy not found");
  });

  it("refuses bad input with the reference's messages", async () => {
    const { auth } = await pluginTenant();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: "" }, 400, "name is required"],
      [{ pattern: "" }, 400, "pattern is required"],
      [{ category: "" }, 400, "category is required"],
      [{ action: "" }, 400, "action is required"],
      [{ tier: "system" }, 403, "Cannot create system-tier policies via API"],
      [{ tier: "galaxy" }, 400, "Invalid policy tier"],
      [{ category: "made-up" }, 400, "Invalid policy category"],
      [
        { pattern: "(" },
        400,
        "Invalid regex pattern: invalid regex pattern: pattern has invalid RE2 syntax: error parsing regexp: missing closing ): `(`",
      ],
      [
        { pattern: "x".repeat(1001) },
        400,
        "Invalid regex pattern: invalid regex pattern: pattern exceeds maximum length",
      ],
      [
        { pattern: "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)" },
        400,
        "Invalid regex pattern: invalid regex pattern: pattern has too many capture groups",
      ],
    ];
    for (const [body, status, message] of cases) await expectErrorA(await create(auth, body), status, message);
    const bad = await create(auth, { action: "explode" });
    expect(bad.status).toBe(400);
    await expectErrorA(
      await api("POST", "/api/v1/static-policies", auth, "{"),
      400,
      "Invalid request body: invalid JSON",
    );
  });

  it("refuses a backtracking-style pattern only by the reference's shape rule, never by running it", async () => {
    const { auth } = await pluginTenant();
    await expectErrorA(
      await create(auth, { pattern: "(.*)+x" }),
      400,
      "Invalid regex pattern: invalid regex pattern: pattern contains potentially dangerous backreferences",
    );
  });

  it("caps a Free tenant at 4 active policies with the active_policies envelope; Pro gets 50", async () => {
    const { tenant, auth } = await pluginTenant();
    for (let i = 0; i < 4; i++) expect((await create(auth, { name: `p${i}` })).status).toBe(201);
    const capped = await create(auth, { name: "p4" });
    expect(capped.status).toBe(403);
    expect(capped.headers.get("X-Axonflow-Tier-Limit")).toBe("active_policies");
    expect(await capped.json()).toMatchObject({
      error: "Free tier supports 4 active custom policies. Delete one to make room, or upgrade to Pro for up to 50.",
      limit_type: "active_policies",
      tier: "Free",
      limit: 4,
    });
    const disabled = (await (await create(auth, { name: "off", enabled: false })).json()) as { id: string };
    expect((await api("PATCH", `/api/v1/static-policies/${disabled.id}`, auth, { enabled: true })).status).toBe(403);
    const { token } = await issueTestLicense(tenant.tenant_id);
    const pro = { "X-License-Token": token, "X-Axonflow-Client": "claude-code-plugin/1.13.0" };
    expect((await create(auth, { name: "p5" }, pro)).status).toBe(201);
  });

  it("refuses to change, disable or delete system policies", async () => {
    const { auth } = await pluginTenant();
    await expectErrorA(
      await api("PUT", "/api/v1/static-policies/sys_sqli_drop_table", auth, { pattern: "x" }),
      403,
      "System policies cannot be modified",
    );
    await expectErrorA(
      await api("PATCH", "/api/v1/static-policies/sys_sqli_drop_table", auth, { enabled: false }),
      403,
      "System policies cannot be disabled via API",
    );
    await expectErrorA(
      await api("DELETE", "/api/v1/static-policies/sys_sqli_drop_table", auth),
      403,
      "System policies cannot be deleted",
    );
    expect(await (await api("GET", "/api/v1/static-policies/sys_sqli_drop_table", auth)).json()).toMatchObject({
      tier: "system",
      risk_level: "critical",
      allow_override: false,
    });
  });
});

describe("listing and isolation", () => {
  it("lists system and tenant policies with pagination and filters", async () => {
    const { auth } = await pluginTenant();
    await create(auth);
    const first = (await (await api("GET", "/api/v1/static-policies?limit=10", auth)).json()) as {
      policies: unknown[];
      pagination: { page: number; page_size: number; total_items: number; total_pages: number };
    };
    expect(first.policies).toHaveLength(10);
    expect(first.pagination.total_items).toBeGreaterThan(80);
    const tenantOnly = (await (await api("GET", "/api/v1/static-policies?tier=tenant", auth)).json()) as {
      policies: Array<{ name: string }>;
    };
    expect(tenantOnly.policies.map((p) => p.name)).toEqual(["No prod deploys"]);
    const searched = (await (
      await api("GET", "/api/v1/static-policies?search=drop%20table&limit=100", auth)
    ).json()) as {
      policies: Array<{ policy_id: string }>;
    };
    expect(searched.policies.map((p) => p.policy_id)).toContain("sys_sqli_drop_table");
  });

  it("keeps tenants apart: rows, reads, writes and effect", async () => {
    const owner = await pluginTenant();
    const stranger = await pluginTenant();
    const { id } = (await (await create(owner.auth)).json()) as { id: string };
    const listed = (await (await api("GET", "/api/v1/static-policies?tier=tenant", stranger.auth)).json()) as {
      policies: unknown[];
    };
    expect(listed.policies).toEqual([]);
    await expectErrorA(await api("GET", `/api/v1/static-policies/${id}`, stranger.auth), 404, "Policy not found");
    await expectErrorA(
      await api("PUT", `/api/v1/static-policies/${id}`, stranger.auth, { name: "x" }),
      404,
      "Policy not found",
    );
    await expectErrorA(await api("DELETE", `/api/v1/static-policies/${id}`, stranger.auth), 404, "Policy not found");
    expect((await checkPolicy(stranger.auth, "deploy --env prod")).allowed).toBe(true);
  });
});

describe("testers", () => {
  it("tries a pattern on inputs, and reports an invalid one", async () => {
    const { auth } = await pluginTenant();
    expect(
      await (
        await api("POST", "/api/v1/static-policies/test", auth, { pattern: "rm\\s+-rf", inputs: ["rm -rf /", "ls"] })
      ).json(),
    ).toEqual({
      valid: true,
      matches: [
        { input: "rm -rf /", matched: true },
        { input: "ls", matched: false },
      ],
      pattern: "rm\\s+-rf",
      inputs: ["rm -rf /", "ls"],
    });
    expect(
      await (await api("POST", "/api/v1/static-policies/test", auth, { pattern: "(", input: "x" })).json(),
    ).toMatchObject({
      valid: false,
      error: expect.stringContaining("invalid pattern"),
    });
    await expectErrorA(await api("POST", "/api/v1/static-policies/test", auth, {}), 400, "pattern is required");
  });

  it("runs a query through the engine at /api/policies/test", async () => {
    const { auth } = await pluginTenant();
    expect(
      await (await api("POST", "/api/policies/test", auth, { query: "select * from users" })).json(),
    ).toMatchObject({
      blocked: true,
      reason: "Access to users table requires admin privileges",
      triggered_policies: ["sys_admin_users_table"],
    });
    const bad = await api("POST", "/api/policies/test", auth, "nope");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ success: false, error: "Invalid request body", blocked: false });
  });
});
