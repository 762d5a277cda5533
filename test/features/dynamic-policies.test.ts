/** /api/v1/dynamic-policies CRUD and POST /api/v1/mcp/evaluate-policies (platform.md §9.4). */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { dynamicPolicyRouteDocs } from "../../src/features/dynamic-policies/routes";
import { BUY_URL, UPGRADE_URL } from "../../src/limits/envelopes";
import { describeAuthSecurity } from "../support/auth-suite";
import { superuser } from "../support/db";
import { basic, call, registerTenant } from "../support/http";
import { issueTestLicense } from "../support/license";

const COLLECTION = "/api/v1/dynamic-policies";
const EVALUATE = "/api/v1/mcp/evaluate-policies";
const PLUGIN = "claude-code-plugin/1.13.0";

function api(method: string, path: string, auth?: string, body?: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method,
    headers: {
      "Content-Type": "application/json",
      "X-Axonflow-Client": PLUGIN,
      ...(auth ? { Authorization: auth } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function tenantAuth() {
  const tenant = await registerTenant();
  return { tenant, auth: basic(tenant.tenant_id, tenant.secret) };
}

const RM_RF = {
  name: "No recursive deletes",
  description: "Blocks rm -rf through any connector",
  type: "content",
  conditions: [{ field: "query", operator: "regex", value: "rm\\s+-rf" }],
  actions: [{ type: "block", config: { reason: "Tenant policy matched rm -rf" } }],
  priority: 100,
  enabled: true,
};

interface Resource {
  id: string;
  policy_id: string;
  name: string;
  type: string;
  enabled: boolean;
  version: number;
  [key: string]: unknown;
}

async function create(auth: string, overrides: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const response = await api("POST", COLLECTION, auth, { ...RM_RF, ...overrides }, headers);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { policy: Resource }).policy;
}

const evaluate = (auth: string, body: unknown) => api("POST", EVALUATE, auth, body);
const toolCall = (overrides: Record<string, unknown> = {}) => ({
  user_id: "alice",
  user_role: "developer",
  connector_name: "claude_code.Bash",
  operation: "execute",
  statement: "ls -la",
  ...overrides,
});

async function expectPolicyError(response: Response, status: number, code: string, message: string) {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ error: { code, message } });
}

async function expectValidation(response: Response, details: Array<{ field: string; message: unknown }>) {
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({
    error: { code: "VALIDATION_ERROR", message: "Request validation failed", details },
  });
}

async function expectErrorO(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ success: false, error });
}

describeAuthSecurity(`GET ${COLLECTION}`, (auth) => api("GET", COLLECTION, auth));
describeAuthSecurity(`POST ${COLLECTION}`, (auth) => api("POST", COLLECTION, auth, RM_RF));
describeAuthSecurity(`GET ${COLLECTION}/{id}`, (auth) => api("GET", `${COLLECTION}/dyn_000000000000`, auth));
describeAuthSecurity(`PUT ${COLLECTION}/{id}`, (auth) => api("PUT", `${COLLECTION}/dyn_000000000000`, auth, {}));
describeAuthSecurity(`DELETE ${COLLECTION}/{id}`, (auth) => api("DELETE", `${COLLECTION}/dyn_000000000000`, auth));
describeAuthSecurity(`POST ${EVALUATE}`, (auth) => api("POST", EVALUATE, auth, toolCall()));

describe("dynamic policy CRUD", () => {
  it("creates, reads (by UUID and policy_id), updates and soft-deletes a policy", async () => {
    const { tenant, auth } = await tenantAuth();
    const response = await api("POST", COLLECTION, auth, RM_RF);
    expect(response.status).toBe(201);
    expect(response.headers.get("X-Axonflow-Request-Cost")).toContain("deferred_do=1");
    const { policy } = (await response.json()) as { policy: Resource };
    expect(policy).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      policy_id: expect.stringMatching(/^dyn_[0-9a-f]{12}$/),
      name: RM_RF.name,
      description: RM_RF.description,
      type: "content",
      category: "dynamic-security",
      tier: "tenant",
      conditions: RM_RF.conditions,
      actions: RM_RF.actions,
      priority: 100,
      enabled: true,
      version: 1,
      tenant_id: tenant.tenant_id,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    for (const id of [policy.id, policy.policy_id]) {
      const read = await api("GET", `${COLLECTION}/${id}`, auth);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ policy });
    }

    const put = await api("PUT", `${COLLECTION}/${policy.policy_id}`, auth, {
      name: "No recursive deletes (v2)",
      priority: 5,
      enabled: false,
      tags: ["fs"],
      category: "dynamic-access",
    });
    expect(put.status).toBe(200);
    const updated = ((await put.json()) as { policy: Resource }).policy;
    expect(updated).toMatchObject({
      id: policy.id,
      name: "No recursive deletes (v2)",
      description: RM_RF.description,
      priority: 5,
      enabled: false,
      version: 2,
      tags: ["fs"],
      category: "dynamic-access",
      conditions: RM_RF.conditions,
    });

    const deleted = await api("DELETE", `${COLLECTION}/${policy.id}`, auth);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    await expectPolicyError(
      await api("GET", `${COLLECTION}/${policy.id}`, auth),
      404,
      "NOT_FOUND",
      "Dynamic policy not found",
    );
    await expectPolicyError(
      await api("DELETE", `${COLLECTION}/${policy.id}`, auth),
      404,
      "NOT_FOUND",
      "Dynamic policy not found",
    );
    const [row] = await superuser<{ deleted_at: Date | null }>(
      "select deleted_at from dynamic_policies where id = $1",
      [policy.id],
    );
    expect(row?.deleted_at).not.toBeNull();
  });

  it("keeps a given policy_id, refuses a UUID-shaped or taken one", async () => {
    const { auth } = await tenantAuth();
    const policyId = `team_${crypto.randomUUID().slice(0, 8)}`;
    expect((await create(auth, { policy_id: policyId })).policy_id).toBe(policyId);
    await expectPolicyError(
      await api("POST", COLLECTION, auth, { ...RM_RF, policy_id: policyId }),
      409,
      "CONFLICT",
      "A policy with this policy_id already exists",
    );
    const other = await tenantAuth();
    expect((await api("POST", COLLECTION, other.auth, { ...RM_RF, policy_id: policyId })).status).toBe(409);
    await expectValidation(await api("POST", COLLECTION, auth, { ...RM_RF, policy_id: crypto.randomUUID() }), [
      { field: "policy_id", message: "policy_id must be 1-100 letters, digits, '_', '.', ':' or '-', and not a UUID" },
    ]);
  });

  it("defaults enabled to false and priority to 0, as the reference", async () => {
    const { auth } = await tenantAuth();
    const { enabled: _enabled, priority: _priority, ...rest } = RM_RF;
    const response = await api("POST", COLLECTION, auth, rest);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ policy: { enabled: false, priority: 0 } });
  });

  it("lists with pagination, filters and sorting", async () => {
    const { auth } = await tenantAuth();
    await create(auth, { name: "alpha content" });
    await create(auth, {
      name: "beta limit",
      type: "rate-limit",
      conditions: [{ field: "requests_per_minute", operator: "equals", value: 5 }],
    });
    await create(auth, { name: "gamma 100%", enabled: false, category: "dynamic-access" });

    const list = async (query: string) => {
      const response = await api("GET", `${COLLECTION}${query}`, auth);
      expect(response.status).toBe(200);
      return (await response.json()) as {
        policies: Resource[];
        pagination: { page: number; page_size: number; total_items: number; total_pages: number };
      };
    };
    const first = await list("?limit=2&sort_by=name&sort_dir=asc");
    expect(first.policies.map((p) => p.name)).toEqual(["alpha content", "beta limit"]);
    expect(first.pagination).toEqual({ page: 1, page_size: 2, total_items: 3, total_pages: 2 });
    expect((await list("?page_size=2&page=2&sort_by=name&sort_dir=asc")).policies.map((p) => p.name)).toEqual([
      "gamma 100%",
    ]);
    // Out-of-range sizes fall back to 20; the default order is newest first.
    const all = await list("?limit=500");
    expect(all.pagination.page_size).toBe(20);
    expect(all.policies.map((p) => p.name)).toEqual(["gamma 100%", "beta limit", "alpha content"]);
    expect((await list("?type=rate-limit")).policies.map((p) => p.name)).toEqual(["beta limit"]);
    expect((await list("?enabled=false")).policies.map((p) => p.name)).toEqual(["gamma 100%"]);
    expect((await list("?search=100%25")).policies.map((p) => p.name)).toEqual(["gamma 100%"]);
    expect((await list("?search=RM%20-RF")).pagination.total_items).toBe(3);
    expect((await list("?category=dynamic-access")).policies.map((p) => p.name)).toEqual(["gamma 100%"]);
    expect((await list("?category=dynamic-security")).pagination.total_items).toBe(2);
    await expectPolicyError(
      await api("GET", `${COLLECTION}?category=security-sqli`, auth),
      400,
      "VALIDATION_ERROR",
      "Category must start with 'dynamic-' for this endpoint",
    );
  });

  it("answers INVALID_JSON for bodies it cannot decode", async () => {
    const { auth } = await tenantAuth();
    for (const body of ["", "{not json", JSON.stringify({ ...RM_RF, priority: "high" }), JSON.stringify([RM_RF])]) {
      await expectPolicyError(await api("POST", COLLECTION, auth, body), 400, "INVALID_JSON", "Invalid JSON body");
    }
    const { id } = await create(auth);
    await expectPolicyError(
      await api("PUT", `${COLLECTION}/${id}`, auth, "{"),
      400,
      "INVALID_JSON",
      "Invalid JSON body",
    );
  });

  it("reports every validation problem at once, with the reference's messages", async () => {
    const { auth } = await tenantAuth();
    await expectValidation(await api("POST", COLLECTION, auth, {}), [
      { field: "name", message: "Name must be between 3 and 100 characters" },
      { field: "type", message: "Type is required" },
      { field: "conditions", message: "At least one condition is required" },
      { field: "actions", message: "At least one action is required" },
    ]);
    await expectValidation(
      await api("POST", COLLECTION, auth, {
        name: "ab",
        description: "x".repeat(501),
        type: "user",
        category: "security-sqli",
        tier: "system",
        conditions: [
          { field: "query", operator: "matches", value: "x" },
          { field: "query", operator: "regex", value: "(unclosed" },
        ],
        actions: [{ type: "explode" }],
        priority: 1001,
      }),
      [
        { field: "name", message: "Name must be between 3 and 100 characters" },
        { field: "description", message: "Description must not exceed 500 characters" },
        {
          field: "type",
          message: "Type must be one of: mcp, connector, content, rate-limit, budget, time-access, role-access",
        },
        { field: "category", message: "Category must start with 'dynamic-' (at most 100 characters)" },
        { field: "tier", message: "Only tenant-tier policies can be created" },
        { field: "conditions[0]", message: "invalid operator: matches" },
        { field: "conditions[1]", message: expect.stringMatching(/^invalid regex pattern: /) },
        { field: "actions[0]", message: "invalid action type: explode" },
        { field: "priority", message: "Priority must be between 0 and 1000" },
      ],
    );
  });

  it("refuses budget and rate-limit policies that count more than 10,000 requests, naming the condition", async () => {
    const { auth } = await tenantAuth();
    const budget = {
      ...RM_RF,
      type: "budget",
      conditions: [
        { field: "cost_per_request", operator: "equals", value: 0.001 },
        { field: "max_budget", operator: "equals", value: 50 },
      ],
    };
    await expectValidation(await api("POST", COLLECTION, auth, budget), [
      {
        field: "conditions[1]",
        message: "max_budget / cost_per_request allows 50000 requests per period; at most 10000 are supported",
      },
    ]);
    const ok = await create(auth, { ...budget, conditions: [{ field: "max_budget", operator: "equals", value: 10 }] });
    // An update that raises the count is refused the same way.
    await expectValidation(
      await api("PUT", `${COLLECTION}/${ok.id}`, auth, {
        conditions: [{ field: "budget_limit", operator: "equals", value: 11 }],
      }),
      [
        {
          field: "conditions[0]",
          message: "budget_limit / cost_per_request allows 11000 requests per period; at most 10000 are supported",
        },
      ],
    );
    await expectValidation(
      await api("POST", COLLECTION, auth, {
        ...RM_RF,
        type: "rate-limit",
        conditions: [{ field: "requests_per_hour", operator: "equals", value: 20_000 }],
      }),
      [
        {
          field: "conditions[0]",
          message: "requests_per_hour allows 20000 requests per window; at most 10000 are supported",
        },
      ],
    );
  });

  it("caps bodies at 64 KiB and answers other methods 405 with Allow", async () => {
    const { auth } = await tenantAuth();
    const huge = { ...RM_RF, description: "x".repeat(70 * 1024) };
    await expectPolicyError(
      await api("POST", COLLECTION, auth, huge),
      413,
      "PAYLOAD_TOO_LARGE",
      "Request body too large",
    );
    await expectErrorO(
      await api("POST", EVALUATE, auth, { ...toolCall(), statement: "x".repeat(70 * 1024) }),
      413,
      "Request body too large",
    );
    const patch = await api("PATCH", COLLECTION, auth);
    expect(patch.status).toBe(405);
    expect(patch.headers.get("Allow")).toBe("GET, POST, OPTIONS");
    expect(await patch.json()).toEqual({ error: { code: "METHOD_NOT_ALLOWED", message: "Method not allowed" } });
    expect((await api("POST", `${COLLECTION}/dyn_x`, auth)).headers.get("Allow")).toBe("GET, PUT, DELETE, OPTIONS");
    const get = await api("GET", EVALUATE, auth);
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST, OPTIONS");
  });
});

describe("isolation between tenants", () => {
  it("never lets tenant B see, change, delete or evaluate tenant A's policies", async () => {
    const a = await tenantAuth();
    const b = await tenantAuth();
    const policy = await create(a.auth);
    for (const id of [policy.id, policy.policy_id]) {
      const path = `${COLLECTION}/${id}`;
      await expectPolicyError(await api("GET", path, b.auth), 404, "NOT_FOUND", "Dynamic policy not found");
      await expectPolicyError(
        await api("PUT", path, b.auth, { name: "hijacked", enabled: false }),
        404,
        "NOT_FOUND",
        "Dynamic policy not found",
      );
      await expectPolicyError(await api("DELETE", path, b.auth), 404, "NOT_FOUND", "Dynamic policy not found");
    }
    const listed = (await (await api("GET", COLLECTION, b.auth)).json()) as {
      policies: unknown[];
      pagination: unknown;
    };
    expect(listed).toEqual({ policies: [], pagination: { page: 1, page_size: 20, total_items: 0, total_pages: 0 } });
    const evaluated = (await (await evaluate(b.auth, toolCall({ statement: "rm -rf /" }))).json()) as Record<
      string,
      unknown
    >;
    expect(evaluated).toMatchObject({ allowed: true, policies_evaluated: 0 });
    // A's row is untouched and still A's only.
    const own = (await (await api("GET", `${COLLECTION}/${policy.id}`, a.auth)).json()) as { policy: Resource };
    expect(own.policy).toEqual(policy);
    const aList = (await (await api("GET", COLLECTION, a.auth)).json()) as { policies: Resource[] };
    expect(aList.policies.map((p) => p.id)).toEqual([policy.id]);
  });
});

describe("active-policy cap", () => {
  const FREE_WORDING =
    "Free tier supports 4 active custom policies. Delete one to make room, or upgrade to Pro for up to 50.";

  it("gives Free 4 active policies, then the active_policies envelope", async () => {
    const { auth } = await tenantAuth();
    const created: Resource[] = [];
    for (let i = 0; i < 4; i++) created.push(await create(auth, { name: `policy ${i}` }));
    const capped = await api("POST", COLLECTION, auth, { ...RM_RF, name: "policy 4" });
    expect(capped.status).toBe(403);
    expect(capped.headers.get("X-Axonflow-Tier-Limit")).toBe("active_policies");
    expect(capped.headers.get("Retry-After")).toBeNull();
    expect(await capped.json()).toEqual({
      error: FREE_WORDING,
      limit_type: "active_policies",
      tier: "Free",
      limit: 4,
      remaining: 0,
      upgrade: { tier: "Pro", wording: FREE_WORDING, compare_url: UPGRADE_URL, buy_url: BUY_URL },
    });
    // A disabled policy takes no room, but enabling it needs room.
    const disabled = await create(auth, { name: "dormant", enabled: false });
    expect((await api("PUT", `${COLLECTION}/${disabled.id}`, auth, { enabled: true })).status).toBe(403);
    // Deleting one makes room.
    expect((await api("DELETE", `${COLLECTION}/${created[0]?.id}`, auth)).status).toBe(204);
    expect((await api("PUT", `${COLLECTION}/${disabled.id}`, auth, { enabled: true })).status).toBe(200);
  });

  it("counts the tenant's static policies too", async () => {
    const { tenant, auth } = await tenantAuth();
    for (let i = 0; i < 3; i++) {
      await superuser(
        `insert into static_policies (org_id, tenant_id, tier, policy_id, name, category, pattern, enabled)
         values ($1, $1, 'tenant', $2, $3, 'security-sqli', 'x', true)`,
        [tenant.tenant_id, `custom_${crypto.randomUUID().slice(0, 12)}`, `static ${i}`],
      );
    }
    await create(auth);
    expect((await api("POST", COLLECTION, auth, RM_RF)).status).toBe(403);
  });

  it("gives Pro (license token) 50 active policies", async () => {
    const { tenant, auth } = await tenantAuth();
    const { token } = await issueTestLicense(tenant.tenant_id);
    const pro = { "X-License-Token": token, "X-Axonflow-Client": PLUGIN };
    // 49 rows across both stores, then the 50th and 51st through the API.
    await superuser(
      `insert into dynamic_policies (org_id, tenant_id, tier, policy_id, name, policy_type, conditions, actions, enabled)
       select $1::text, $1::text, 'tenant', 'seed_' || md5($1::text || g), 'seed ' || g, 'content', '[]', '[]', true
       from generate_series(1, 40) g`,
      [tenant.tenant_id],
    );
    await superuser(
      `insert into static_policies (org_id, tenant_id, tier, policy_id, name, category, pattern, enabled)
       select $1::text, $1::text, 'tenant', 'seed_' || md5($1::text || g), 'seed ' || g, 'security-sqli', 'x', true
       from generate_series(1, 9) g`,
      [tenant.tenant_id],
    );
    await create(auth, {}, pro);
    const capped = await api("POST", COLLECTION, auth, RM_RF, pro);
    expect(capped.status).toBe(403);
    expect(await capped.json()).toMatchObject({ limit_type: "active_policies", tier: "Pro", limit: 50, remaining: 0 });
    // The same tenant without its license is Free and far over its 4.
    expect((await api("POST", COLLECTION, auth, RM_RF)).status).toBe(403);
  });
});

describe("POST /api/v1/mcp/evaluate-policies", () => {
  it("allows when nothing matches, without matched_policies", async () => {
    const { auth } = await tenantAuth();
    await create(auth);
    const response = await evaluate(auth, toolCall());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      allowed: true,
      policies_evaluated: 1,
      processing_time_ms: expect.any(Number),
    });
  });

  it("blocks on a matching policy with its reason", async () => {
    const { tenant, auth } = await tenantAuth();
    const policy = await create(auth);
    const response = await evaluate(auth, toolCall({ statement: "rm -rf /tmp/x", tenant_id: tenant.tenant_id }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      allowed: false,
      block_reason: "Tenant policy matched rm -rf",
      policies_evaluated: 1,
      matched_policies: [
        {
          policy_id: policy.policy_id,
          policy_name: policy.name,
          policy_type: "content",
          action: "block",
          reason: "Tenant policy matched rm -rf",
        },
      ],
      processing_time_ms: expect.any(Number),
    });
  });

  it("evaluates only enabled, live policies, highest priority first", async () => {
    const { auth } = await tenantAuth();
    const low = await create(auth, {
      name: "low",
      priority: 1,
      actions: [{ type: "block", config: { reason: "low" } }],
    });
    const high = await create(auth, {
      name: "high",
      priority: 900,
      actions: [{ type: "block", config: { reason: "high" } }],
    });
    await create(auth, {
      name: "off",
      priority: 1000,
      enabled: false,
      actions: [{ type: "block", config: { reason: "off" } }],
    });
    const block = async () =>
      (await (await evaluate(auth, toolCall({ statement: "rm -rf x" }))).json()) as Record<string, unknown>;
    expect(await block()).toMatchObject({ block_reason: "high", policies_evaluated: 2 });
    await api("DELETE", `${COLLECTION}/${high.id}`, auth);
    expect(await block()).toMatchObject({
      block_reason: "low",
      policies_evaluated: 1,
      matched_policies: [{ policy_id: low.policy_id }],
    });
  });

  it("lets a body tenant_id repeat the caller's only", async () => {
    const { tenant, auth } = await tenantAuth();
    const other = await tenantAuth();
    await create(other.auth);
    expect((await evaluate(auth, toolCall({ tenant_id: "" }))).status).toBe(200);
    expect((await evaluate(auth, toolCall({ tenant_id: ` ${tenant.tenant_id} ` }))).status).toBe(200);
    await expectErrorO(
      await evaluate(auth, toolCall({ tenant_id: other.tenant.tenant_id, statement: "rm -rf /" })),
      403,
      "Forbidden: tenant_id does not match the authenticated tenant",
    );
    // Authorization comes before validation.
    await expectErrorO(
      await evaluate(auth, { tenant_id: other.tenant.tenant_id }),
      403,
      "Forbidden: tenant_id does not match the authenticated tenant",
    );
  });

  it("answers the reference's 400s", async () => {
    const { auth } = await tenantAuth();
    await expectErrorO(await evaluate(auth, ""), 400, "Invalid request body: EOF");
    const syntax = await evaluate(auth, "{nope");
    expect(syntax.status).toBe(400);
    expect(((await syntax.json()) as { error: string }).error).toMatch(/^Invalid request body: .+/);
    await expectErrorO(
      await evaluate(auth, toolCall({ user_id: 7 })),
      400,
      "Invalid request body: json: cannot unmarshal number into Go struct field MCPPolicyEvaluationRequest.user_id of type string",
    );
    await expectErrorO(
      await evaluate(auth, toolCall({ parameters: ["a"] })),
      400,
      "Invalid request body: json: cannot unmarshal array into Go struct field MCPPolicyEvaluationRequest.parameters of type map[string]interface {}",
    );
    await expectErrorO(
      await evaluate(auth, [1]),
      400,
      "Invalid request body: json: cannot unmarshal array into Go value of type orchestrator.MCPPolicyEvaluationRequest",
    );
    await expectErrorO(
      await evaluate(auth, toolCall({ request_time: "yesterday" })),
      400,
      'Invalid request body: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00"',
    );
    await expectErrorO(await evaluate(auth, toolCall({ connector_name: "" })), 400, "connector_name is required");
    await expectErrorO(await evaluate(auth, null), 400, "connector_name is required");
  });

  it("blocks the N+1th call under a rate-limit policy", async () => {
    const { auth } = await tenantAuth();
    await create(auth, {
      name: "three a minute",
      type: "rate-limit",
      conditions: [{ field: "requests_per_minute", operator: "equals", value: 3 }],
      actions: [{ type: "block" }],
    });
    for (let i = 0; i < 3; i++) {
      const response = await evaluate(auth, toolCall());
      expect(response.headers.get("X-Axonflow-Request-Cost")).toMatch(/^do=2;/);
      expect(await response.json()).toMatchObject({
        allowed: true,
        matched_policies: [{ policy_type: "rate-limit", action: "block" }],
      });
    }
    expect(await (await evaluate(auth, toolCall())).json()).toMatchObject({
      allowed: false,
      block_reason: "Rate limit exceeded: 3 requests per 60 seconds",
    });
    // Another user of the same tenant has its own window.
    expect(await (await evaluate(auth, toolCall({ user_id: "bob" }))).json()).toMatchObject({ allowed: true });
  });

  it("judges time-access by the request's request_time", async () => {
    const { auth } = await tenantAuth();
    await create(auth, {
      name: "office hours",
      type: "time-access",
      conditions: [
        { field: "hour", operator: "greater_than", value: 8 },
        { field: "hour", operator: "less_than", value: 18 },
      ],
    });
    expect(await (await evaluate(auth, toolCall({ request_time: "2026-05-06T10:00:00Z" }))).json()).toMatchObject({
      allowed: true,
    });
    expect(await (await evaluate(auth, toolCall({ request_time: "2026-05-06T23:00:00+02:00" }))).json()).toMatchObject({
      allowed: false,
      block_reason: "Access denied: Outside allowed hours",
    });
  });
});

describe("documented answers match real ones", () => {
  const doc = (method: string, path: string) =>
    dynamicPolicyRouteDocs.find((d) => d.method === method && d.path === path.replace(":id", "{id}"));

  async function matches(method: string, path: string, response: Response) {
    const declared = doc(method, path)?.responses[String(response.status)] as
      | { content?: Record<string, { schema: z.ZodType }> }
      | undefined;
    expect(declared, `${method} ${path} documents ${response.status}`).toBeDefined();
    const schema = declared?.content?.["application/json"]?.schema;
    if (schema) {
      const parsed = schema.safeParse(await response.json());
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  }

  it("for every route", async () => {
    const { auth } = await tenantAuth();
    const policy = await create(auth);
    const item = `${COLLECTION}/:id`;
    await matches("get", COLLECTION, await api("GET", COLLECTION, auth));
    await matches("get", COLLECTION, await api("GET", `${COLLECTION}?category=x`, auth));
    await matches("post", COLLECTION, await api("POST", COLLECTION, auth, { ...RM_RF, enabled: false }));
    await matches("post", COLLECTION, await api("POST", COLLECTION, auth, {}));
    await matches("get", item, await api("GET", `${COLLECTION}/${policy.id}`, auth));
    await matches("get", item, await api("GET", `${COLLECTION}/nope`, auth));
    await matches("put", item, await api("PUT", `${COLLECTION}/${policy.id}`, auth, { priority: 3 }));
    await matches("delete", item, await api("DELETE", `${COLLECTION}/nope`, auth));
    await matches("post", EVALUATE, await evaluate(auth, toolCall({ statement: "rm -rf /" })));
    await matches("post", EVALUATE, await evaluate(auth, {}));
    await matches("post", EVALUATE, await evaluate(auth, toolCall({ tenant_id: "cs_other" })));
  });
});
