/** Dynamic-policy evaluation (src/policy/dynamic.ts): every type and operator, the first-block rule, counters. */
import { describe, expect, it } from "vitest";
import {
  type Counter,
  type DynamicPolicy,
  definitionErrors,
  type EvaluationRequest,
  evaluateDynamicPolicies,
  MAX_COUNTED_REQUESTS,
  type PolicyAction,
  type PolicyCondition,
} from "../../src/policy/dynamic";

const BLOCK: PolicyAction[] = [{ type: "block", config: { reason: "blocked by test" } }];

let next = 0;
function policy(type: string, conditions: PolicyCondition[], actions: PolicyAction[] = BLOCK): DynamicPolicy {
  next++;
  return { policyId: `dyn_${next}`, name: `policy ${next}`, type, conditions, actions };
}

const REQUEST: EvaluationRequest = {
  tenantId: "cs_tenant",
  userId: "alice",
  userRole: "developer",
  connectorName: "postgres",
  operation: "query",
  statement: "SELECT * FROM orders WHERE id = 1",
  parameters: { table: "orders", limit: 1000000, flag: true, list: ["a", "b"], nested: { b: 2, a: 1 } },
};

/** A counter that admits `limit` hits per key, remembering every call. */
function fakeCounter() {
  const hits = new Map<string, number>();
  const calls: Array<{ key: string; limit: number; windowMs: number }> = [];
  const counter: Counter = async (key, limit, windowMs) => {
    calls.push({ key, limit, windowMs });
    const used = hits.get(key) ?? 0;
    if (used >= limit) return { allowed: false };
    hits.set(key, used + 1);
    return { allowed: true };
  };
  return { counter, calls };
}

const NOW = Date.UTC(2026, 4, 6, 12, 30); // a Wednesday, 12:30 UTC

function run(policies: DynamicPolicy[], request: Partial<EvaluationRequest> = {}, counter = fakeCounter().counter) {
  return evaluateDynamicPolicies(policies, { ...REQUEST, ...request }, { counter, nowMs: NOW });
}

/** Whether a single condition policy blocks REQUEST. */
async function holds(field: string, operator: string, value: unknown, request: Partial<EvaluationRequest> = {}) {
  return !(await run([policy("mcp", [{ field, operator, value }])], request)).allowed;
}

describe("condition policies (mcp, connector, content)", () => {
  it("resolves every field", async () => {
    expect(await holds("connector", "equals", "postgres")).toBe(true);
    expect(await holds("connector_name", "equals", "postgres")).toBe(true);
    expect(await holds("operation", "equals", "query")).toBe(true);
    expect(await holds("user.role", "equals", "developer")).toBe(true);
    expect(await holds("tenant_id", "equals", "cs_tenant")).toBe(true);
    expect(await holds("parameter_count", "equals", 5)).toBe(true);
    expect(await holds("query", "contains", "FROM orders")).toBe(true);
    expect(await holds("statement", "contains", "FROM orders")).toBe(true);
    expect(await holds("parameters.table", "equals", "orders")).toBe(true);
  });

  it("never matches an unknown field or an absent parameter, whatever the operator", async () => {
    expect(await holds("user.email", "not_equals", "x")).toBe(false);
    expect(await holds("parameters.missing", "not_equals", "x")).toBe(false);
    expect(await holds("parameters.missing", "not_in", ["x"])).toBe(false);
    expect(await holds("parameters.table", "equals", "orders", { parameters: undefined })).toBe(false);
  });

  it("prints values as Go's %v does", async () => {
    expect(await holds("parameters.limit", "equals", "1e+06")).toBe(true);
    expect(await holds("parameters.limit", "equals", 1000000)).toBe(true);
    expect(await holds("parameters.flag", "equals", "true")).toBe(true);
    expect(await holds("parameters.list", "equals", "[a b]")).toBe(true);
    expect(await holds("parameters.nested", "equals", "map[a:1 b:2]")).toBe(true);
    expect(await holds("parameter_count", "equals", "5")).toBe(true);
  });

  it("applies every operator", async () => {
    expect(await holds("operation", "not_equals", "write")).toBe(true);
    expect(await holds("operation", "not_equals", "query")).toBe(false);
    expect(await holds("statement", "contains", "DROP")).toBe(false);
    expect(await holds("statement", "not_contains", "DROP")).toBe(true);
    expect(await holds("statement", "not_contains", "SELECT")).toBe(false);
    expect(await holds("statement", "contains_any", ["DROP", "orders"])).toBe(true);
    expect(await holds("statement", "contains_any", ["DROP", "DELETE"])).toBe(false);
    expect(await holds("statement", "contains_any", "orders")).toBe(false);
    expect(await holds("connector", "in", ["mysql", "postgres"])).toBe(true);
    expect(await holds("connector", "in", ["mysql"])).toBe(false);
    expect(await holds("connector", "not_in", ["mysql"])).toBe(true);
    expect(await holds("connector", "not_in", ["postgres"])).toBe(false);
    expect(await holds("connector", "in", "postgres")).toBe(false);
    expect(await holds("parameter_count", "greater_than", 4)).toBe(true);
    expect(await holds("parameter_count", "greater_than", 5)).toBe(false);
    expect(await holds("parameter_count", "less_than", "6")).toBe(true);
    expect(await holds("parameters.limit", "less_than", 10)).toBe(false);
    expect(await holds("operation", "greater_than", 1)).toBe(false);
    expect(await holds("operation", "starts_with", "q")).toBe(false);
  });

  it("runs regexes on re2js: unanchored, case-sensitive, a broken pattern never matches", async () => {
    expect(await holds("statement", "regex", "FROM\\s+orders")).toBe(true);
    expect(await holds("statement", "regex", "from\\s+orders")).toBe(false);
    expect(await holds("statement", "regex", "(?i)from\\s+orders")).toBe(true);
    expect(await holds("statement", "regex", "^orders")).toBe(false);
    expect(await holds("statement", "regex", "(unclosed")).toBe(false);
    // Backreferences are not RE2: the pattern does not compile, so no match (JS RegExp would match).
    expect(await holds("statement", "regex", "(o)\\1")).toBe(false);
    expect(await holds("statement", "regex", 42)).toBe(false);
    // Linear time: a pattern that backtracks exponentially in JS RegExp finishes at once.
    const started = Date.now();
    expect(await holds("statement", "regex", "^(a+)+$", { statement: `${"a".repeat(5000)}!` })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("ANDs conditions; a policy without conditions never matches", async () => {
    const both = policy("connector", [
      { field: "connector", operator: "equals", value: "postgres" },
      { field: "operation", operator: "equals", value: "write" },
    ]);
    expect((await run([both])).allowed).toBe(true);
    expect((await run([both], { operation: "write" })).allowed).toBe(false);
    const empty = await run([policy("content", [])]);
    expect(empty).toEqual({ allowed: true, policiesEvaluated: 1, matches: [] });
  });

  it("blocks only with a block action, with its reason or the default", async () => {
    const condition = [{ field: "connector", operator: "equals", value: "postgres" }];
    const logged = policy("mcp", condition, [{ type: "log" }]);
    expect(await run([logged])).toEqual({
      allowed: true,
      policiesEvaluated: 1,
      matches: [{ policy_id: logged.policyId, policy_name: logged.name, policy_type: "mcp", action: "log" }],
    });
    const blocked = policy("mcp", condition, [{ type: "alert" }, { type: "block" }]);
    expect(await run([blocked])).toMatchObject({
      allowed: false,
      blockReason: "Policy blocked request",
      matches: [{ action: "alert", reason: "Policy blocked request" }],
    });
  });
});

describe("the first non-allowed match decides", () => {
  it("stops at the first block: later policies are neither matched nor counted", async () => {
    const { counter, calls } = fakeCounter();
    const allow = policy("role-access", [{ field: "user.role", operator: "in", value: ["*"] }]);
    const block = policy("mcp", [{ field: "connector", operator: "equals", value: "postgres" }]);
    const limited = policy("rate-limit", [{ field: "requests_per_minute", operator: "equals", value: 5 }]);
    const result = await run([allow, block, limited], {}, counter);
    expect(result).toEqual({
      allowed: false,
      blockReason: "blocked by test",
      policiesEvaluated: 3,
      matches: [
        { policy_id: allow.policyId, policy_name: allow.name, policy_type: "role-access", action: "block" },
        {
          policy_id: block.policyId,
          policy_name: block.name,
          policy_type: "mcp",
          action: "block",
          reason: "blocked by test",
        },
      ],
    });
    expect(calls).toEqual([]);
  });

  it("omits the block reason when the policy's reason is empty", async () => {
    const block = policy(
      "mcp",
      [{ field: "connector", operator: "equals", value: "postgres" }],
      [{ type: "block", config: { reason: "" } }],
    );
    const result = await run([block]);
    expect(result.allowed).toBe(false);
    expect(result).not.toHaveProperty("blockReason");
    expect(result.matches[0]).not.toHaveProperty("reason");
  });

  it("skips unknown types but counts them as evaluated", async () => {
    expect(await run([policy("anomaly", [{ field: "x", operator: "equals", value: 1 }])])).toEqual({
      allowed: true,
      policiesEvaluated: 1,
      matches: [],
    });
  });
});

describe("rate-limit", () => {
  it("admits max requests per window, then blocks with the reference's reason", async () => {
    const { counter, calls } = fakeCounter();
    const limited = policy("rate-limit", [{ field: "requests_per_minute", operator: "equals", value: 2 }]);
    expect((await run([limited], {}, counter)).allowed).toBe(true);
    expect((await run([limited], {}, counter)).allowed).toBe(true);
    const third = await run([limited], {}, counter);
    expect(third).toMatchObject({ allowed: false, blockReason: "Rate limit exceeded: 2 requests per 60 seconds" });
    expect(calls[0]).toEqual({
      key: `ratelimit:${limited.policyId}:cs_tenant:alice:postgres`,
      limit: 2,
      windowMs: 60_000,
    });
    // Another user has its own window.
    expect((await run([limited], { userId: "bob" }, counter)).allowed).toBe(true);
  });

  it("reads per-hour, max_requests and window_seconds", async () => {
    const { counter, calls } = fakeCounter();
    await run([policy("rate-limit", [{ field: "requests_per_hour", operator: "equals", value: 100 }])], {}, counter);
    await run(
      [
        policy("rate-limit", [
          { field: "max_requests", operator: "equals", value: 7.9 },
          { field: "window_seconds", operator: "equals", value: 10 },
        ]),
      ],
      {},
      counter,
    );
    expect(calls.map(({ limit, windowMs }) => [limit, windowMs])).toEqual([
      [100, 3_600_000],
      [7, 10_000],
    ]);
  });

  it("matches and allows without a usable limit, spending nothing", async () => {
    const { counter, calls } = fakeCounter();
    const result = await run(
      [policy("rate-limit", [{ field: "requests_per_minute", operator: "equals", value: "5" }])],
      {},
      counter,
    );
    expect(result).toMatchObject({ allowed: true, matches: [{ policy_type: "rate-limit" }] });
    expect(calls).toEqual([]);
  });

  it("blocks when the counter refuses (a failing counter fails closed)", async () => {
    const refusing: Counter = async () => ({ allowed: false });
    const limited = policy("rate-limit", [{ field: "requests_per_minute", operator: "equals", value: 100 }]);
    expect((await run([limited], {}, refusing)).allowed).toBe(false);
  });
});

describe("budget", () => {
  it("admits floor(max_budget / cost_per_request) requests per period_days", async () => {
    const { counter, calls } = fakeCounter();
    const budget = policy("budget", [
      { field: "max_budget", operator: "equals", value: 0.01 },
      { field: "cost_per_request", operator: "equals", value: 0.001 },
      { field: "period_days", operator: "equals", value: 7 },
    ]);
    for (let i = 0; i < 10; i++) expect((await run([budget], {}, counter)).allowed).toBe(true);
    expect(await run([budget], {}, counter)).toMatchObject({
      allowed: false,
      blockReason: "Budget exceeded: $0.01 used of $0.01 limit",
    });
    expect(calls[0]).toEqual({ key: `budget:${budget.policyId}:cs_tenant:alice`, limit: 10, windowMs: 7 * 86_400_000 });
  });

  it("defaults to $0.001 per request over 30 days and keys on the org without a user", async () => {
    const { counter, calls } = fakeCounter();
    const budget = policy("budget", [{ field: "budget_limit", operator: "equals", value: 5 }]);
    await run([budget], { userId: "" }, counter);
    expect(calls[0]).toEqual({
      key: `budget:${budget.policyId}:cs_tenant:org`,
      limit: 5000,
      windowMs: 30 * 86_400_000,
    });
  });

  it("blocks at once when the budget is below one request, and allows without a budget", async () => {
    const { counter, calls } = fakeCounter();
    const tiny = policy("budget", [
      { field: "max_budget", operator: "equals", value: 0.5 },
      { field: "cost_per_request", operator: "equals", value: 1 },
    ]);
    expect(await run([tiny], {}, counter)).toMatchObject({
      allowed: false,
      blockReason: "Budget exceeded: $0.00 used of $0.50 limit",
    });
    expect(
      (await run([policy("budget", [{ field: "period_days", operator: "equals", value: 1 }])], {}, counter)).allowed,
    ).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe("time-access", () => {
  const at = (iso: string) => ({ requestTime: new Date(iso) });

  it("uses request_time when given, else now (UTC hours)", async () => {
    const afterNine = policy("time-access", [{ field: "hour", operator: "greater_than", value: 9 }]);
    expect((await run([afterNine])).allowed).toBe(true); // NOW is 12:30
    expect(await run([afterNine], at("2026-05-06T08:00:00Z"))).toMatchObject({
      allowed: false,
      blockReason: "Access denied: Outside allowed hours",
    });
    expect((await run([afterNine], at("2026-05-06T09:59:00Z"))).allowed).toBe(false);
    expect((await run([afterNine], at("2026-05-06T10:00:00+00:00"))).allowed).toBe(true);
    const beforeSix = policy("time-access", [{ field: "hour", operator: "less_than", value: 18 }]);
    expect((await run([beforeSix], at("2026-05-06T17:59:00Z"))).allowed).toBe(true);
    // 20:00 at +02:00 is 18:00 UTC.
    expect((await run([beforeSix], at("2026-05-06T20:00:00+02:00"))).allowed).toBe(false);
  });

  it("checks weekdays by Go's names", async () => {
    const weekdays = policy("time-access", [
      { field: "day", operator: "in", value: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"] },
    ]);
    expect(await run([weekdays])).toMatchObject({ allowed: true, matches: [{ policy_type: "time-access" }] });
    expect(await run([weekdays], at("2026-05-09T12:00:00Z"))).toMatchObject({
      allowed: false,
      blockReason: "Access denied: Outside allowed days",
    });
  });

  it("anchors a business-hours window to its timezone; outside, the first action decides", async () => {
    const window = [
      { field: "timezone", operator: "equals", value: "Asia/Jakarta" },
      { field: "business_hours_start", operator: "equals", value: 7 },
      { field: "business_hours_end", operator: "equals", value: 22 },
    ];
    const blocking = policy("time-access", window, [{ type: "block" }]);
    // 12:30 UTC is 19:30 in Jakarta: inside, not matched.
    expect(await run([blocking])).toEqual({ allowed: true, policiesEvaluated: 1, matches: [] });
    // 16:00 UTC is 23:00 in Jakarta.
    expect(await run([blocking], at("2026-05-06T16:00:00Z"))).toMatchObject({
      allowed: false,
      blockReason: "Access outside business hours (07:00–22:00 Asia/Jakarta)",
    });
    const alerting = policy("time-access", window, [{ type: "alert", config: { reason: "off hours" } }]);
    expect(await run([alerting], at("2026-05-06T16:00:00Z"))).toMatchObject({
      allowed: true,
      matches: [{ action: "alert", reason: "off hours" }],
    });
    const unknownZone = policy(
      "time-access",
      [
        { field: "timezone", operator: "equals", value: "Mars/Olympus" },
        { field: "business_hours_start", operator: "equals", value: 13 },
      ],
      [{ type: "block" }],
    );
    expect(await run([unknownZone])).toMatchObject({
      allowed: false,
      blockReason: "Access before business hours (opens 13:00 Mars/Olympus)",
    });
    const closing = policy(
      "time-access",
      [{ field: "business_hours_end", operator: "equals", value: "12" }],
      [{ type: "block" }],
    );
    expect((await run([closing])).blockReason).toBe("Access after business hours (closes 12:00 UTC)");
  });
});

describe("role-access", () => {
  const role = (operator: string, value: unknown) => policy("role-access", [{ field: "user.role", operator, value }]);

  it("applies in (with the * wildcard), not_in and equals", async () => {
    expect(await run([role("in", ["admin"])])).toMatchObject({
      allowed: false,
      blockReason: "Access denied: Insufficient role permissions",
    });
    expect((await run([role("in", ["admin", "developer"])])).allowed).toBe(true);
    expect((await run([role("in", ["*"])], { userRole: "" })).allowed).toBe(true);
    expect(await run([role("not_in", ["developer"])])).toMatchObject({
      allowed: false,
      blockReason: "Access denied: Role explicitly blocked",
    });
    expect((await run([role("not_in", ["intern"])])).allowed).toBe(true);
    expect(await run([role("equals", "admin")])).toMatchObject({
      allowed: false,
      blockReason: "Access denied: Role mismatch",
    });
    expect(await run([role("equals", "developer")])).toMatchObject({
      allowed: true,
      matches: [{ policy_type: "role-access" }],
    });
  });
});

describe("definitionErrors", () => {
  it("names each bad condition and action with the reference's messages", () => {
    expect(
      definitionErrors(
        "content",
        [
          { field: "", operator: "equals" },
          { field: "query", operator: "" },
          { field: "query", operator: "matches" },
          { field: "query", operator: "regex", value: "(a" },
          { field: "query", operator: "regex", value: "ok+" },
        ],
        [{ type: "block" }, { type: "explode" }],
      ),
    ).toEqual([
      { field: "conditions[0]", message: "field is required" },
      { field: "conditions[1]", message: "operator is required" },
      { field: "conditions[2]", message: "invalid operator: matches" },
      { field: "conditions[3]", message: expect.stringMatching(/^invalid regex pattern: .+/) },
      { field: "actions[1]", message: "invalid action type: explode" },
    ]);
  });

  it("refuses counted policies over the request cap, naming the condition", () => {
    const budget = (max: number, cost?: number) => [
      { field: "period_days", operator: "equals", value: 30 },
      { field: "max_budget", operator: "equals", value: max },
      ...(cost === undefined ? [] : [{ field: "cost_per_request", operator: "equals", value: cost }]),
    ];
    expect(definitionErrors("budget", budget(10), BLOCK)).toEqual([]); // 10,000 requests
    expect(definitionErrors("budget", budget(10.001), BLOCK)).toEqual([
      {
        field: "conditions[1]",
        message: `max_budget / cost_per_request allows 10001 requests per period; at most ${MAX_COUNTED_REQUESTS} are supported`,
      },
    ]);
    expect(definitionErrors("budget", budget(1000, 0.5), BLOCK)).toEqual([]);
    const rate = [{ field: "requests_per_hour", operator: "equals", value: 10_001 }];
    expect(definitionErrors("rate-limit", rate, BLOCK)).toEqual([
      {
        field: "conditions[0]",
        message: `requests_per_hour allows 10001 requests per window; at most ${MAX_COUNTED_REQUESTS} are supported`,
      },
    ]);
    // The same conditions on a type that counts nothing are fine.
    expect(definitionErrors("content", rate, BLOCK)).toEqual([]);
  });
});
