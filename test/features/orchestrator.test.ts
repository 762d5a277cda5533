/** The orchestrator's routes, forwarded to AXONFLOW_ORCHESTRATOR_URL (decisions.md "Shape", platform.md §9.4). */
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { basic, call, callWithEnv, expectErrorA, type Registration, registerTenant } from "../support/http";

const STUB = "http://127.0.0.1:9";
const WITH_ORCHESTRATOR = { AXONFLOW_ORCHESTRATOR_URL: STUB };
const SDK = { "X-Axonflow-Client": "sdk-typescript/9.2.0" };

interface Seen {
  method: string;
  pathAndQuery: string;
  body: string;
  headers: Headers;
}

/** Records what reaches the stub orchestrator and answers with `answer` (every other fetch goes through). */
function stubOrchestrator(answer: () => Response = () => Response.json({ success: true })): Seen[] {
  const seen: Seen[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(`${STUB}/`)) return real(input, init);
    const url = new URL(request.url);
    seen.push({
      method: request.method,
      pathAndQuery: `${url.pathname}${url.search}`,
      body: await request.text(),
      headers: request.headers,
    });
    return answer();
  });
  return seen;
}

/** A request with the SDK's client header and, when given, a credential. */
function init(method: string, auth?: string, extra: { body?: string; headers?: Record<string, string> } = {}) {
  return { method, headers: { ...SDK, ...(auth ? { Authorization: auth } : {}), ...extra.headers }, body: extra.body };
}

async function tenantAuth(): Promise<{ tenant: Registration; auth: string }> {
  const tenant = await registerTenant();
  return { tenant, auth: basic(tenant.tenant_id, tenant.secret) };
}

describeAuthSecurity("POST /api/v1/process", (auth) => call("/api/v1/process", init("POST", auth, { body: "{}" })));

describe("orchestrator routes without an orchestrator", () => {
  it("answer 503 orchestrator not configured once authenticated", async () => {
    const { auth } = await tenantAuth();
    for (const [method, path] of [
      ["POST", "/api/v1/process"],
      ["GET", "/api/v1/plans/plan_1/versions"],
      ["GET", "/api/v1/pricing"],
      ["DELETE", "/api/v1/budgets/b_1"],
      ["PUT", "/api/v1/media-governance"],
    ] as const) {
      const response = await call(path, init(method, auth, { body: method === "GET" ? undefined : "{}" }));
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(await response.json()).toEqual({ success: false, error: "orchestrator not configured" });
    }
  });

  it("answer a method the reference does not forward 405 with Allow, before authentication", async () => {
    const process = await call("/api/v1/process", { method: "GET" });
    expect(process.status).toBe(405);
    expect(process.headers.get("Allow")).toBe("POST, OPTIONS");
    const plans = await call("/api/v1/plans/p_1", { method: "PATCH" });
    expect(plans.status).toBe(405);
    expect(plans.headers.get("Allow")).toBe("GET, POST, PUT, DELETE, OPTIONS");
    const usage = await call("/api/v1/usage/breakdown", { method: "DELETE" });
    expect(usage.status).toBe(405);
    expect(usage.headers.get("Allow")).toBe("GET, POST, OPTIONS");
  });

  it("count against the daily quota", async () => {
    const { auth } = await tenantAuth();
    await call("/api/v1/process", init("POST", auth, { body: "{}" }));
    await call("/api/v1/cost/summary", init("GET", auth));
    const response = await call(
      "/api/policy/pre-check",
      init("POST", auth, {
        body: JSON.stringify({ query: "hi" }),
        headers: { "Content-Type": "application/json" },
      }),
    );
    const body = (await response.json()) as { rate_limit: { remaining: number } };
    expect(body.rate_limit.remaining).toBe(197);
  });
});

describe("orchestrator routes with an orchestrator", () => {
  afterEach(() => vi.restoreAllMocks());

  it("forward method, path, query and body with the identity from the credential only", async () => {
    const { tenant, auth } = await tenantAuth();
    const seen = stubOrchestrator(() => Response.json({ success: true, result: "42" }, { status: 201 }));
    const body = JSON.stringify({ query: "What is 6 x 7?", request_type: "chat" });
    const response = await callWithEnv(
      WITH_ORCHESTRATOR,
      "/api/v1/process?trace=1",
      init("POST", auth, {
        body,
        headers: { "Content-Type": "application/json", "X-Tenant-ID": "cs_someone_else", "X-Org-ID": "org_x" },
      }),
    );
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ success: true, result: "42" });
    expect(seen).toHaveLength(1);
    const [forwarded] = seen;
    expect(forwarded?.method).toBe("POST");
    expect(forwarded?.pathAndQuery).toBe("/api/v1/process?trace=1");
    expect(forwarded?.body).toBe(body);
    expect(forwarded?.headers.get("Content-Type")).toBe("application/json");
    expect(forwarded?.headers.get("X-Tenant-ID")).toBe(tenant.tenant_id);
    expect(forwarded?.headers.get("X-Org-ID")).toBe(tenant.tenant_id);
    expect(forwarded?.headers.get("X-Client-ID")).toBe(tenant.tenant_id);
    // The caller's credential stays at the edge.
    expect(forwarded?.headers.get("Authorization")).toBeNull();
  });

  it("forward every method of a prefix and its sub-paths, a body only where the method carries one", async () => {
    const { auth } = await tenantAuth();
    const seen = stubOrchestrator();
    const cases = [
      ["GET", "/api/v1/plans"],
      ["GET", "/api/v1/plans/approvals/pending?limit=5"],
      ["PUT", "/api/v1/plan/p_1"],
      ["DELETE", "/api/v1/budgets/b_1"],
      ["POST", "/api/v1/unified/executions/e_1/cancel"],
      ["GET", "/api/v1/pricing"],
      ["PUT", "/api/v1/media-governance/config"],
      ["POST", "/api/v1/masfeat/registry"],
      ["GET", "/api/v1/policies/dynamic"],
    ] as const;
    for (const [method, path] of cases) {
      const body = method === "GET" ? undefined : `{"from":"${method}"}`;
      const response = await callWithEnv(WITH_ORCHESTRATOR, path, init(method, auth, { body }));
      expect(response.status, `${method} ${path}`).toBe(200);
    }
    expect(seen.map((s) => `${s.method} ${s.pathAndQuery} ${s.body}`)).toEqual(
      cases.map(([method, path]) => `${method} ${path} ${method === "GET" ? "" : `{"from":"${method}"}`}`),
    );
  });

  it("relay the orchestrator's status, content type and body as they are", async () => {
    const { auth } = await tenantAuth();
    stubOrchestrator(
      () => new Response("404 page not found\n", { status: 404, headers: { "Content-Type": "text/plain" } }),
    );
    const response = await callWithEnv(WITH_ORCHESTRATOR, "/api/v1/cost", init("GET", auth));
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("text/plain");
    expect(await response.text()).toBe("404 page not found\n");
  });

  it("leave the routes this edge serves natively at the edge", async () => {
    const { auth } = await tenantAuth();
    const seen = stubOrchestrator();
    for (const path of ["/api/v1/connectors", "/api/v1/overrides"]) {
      expect((await callWithEnv(WITH_ORCHESTRATOR, path, init("GET", auth))).status, path).toBe(200);
    }
    expect(seen).toEqual([]);
  });

  it("authenticate before forwarding", async () => {
    const seen = stubOrchestrator();
    const response = await callWithEnv(WITH_ORCHESTRATOR, "/api/v1/workflows", init("GET"));
    expect(response.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it("refuse a body over 1 MiB with shape A 413", async () => {
    const { auth } = await tenantAuth();
    const seen = stubOrchestrator();
    const response = await callWithEnv(
      WITH_ORCHESTRATOR,
      "/api/v1/process",
      init("POST", auth, { body: "x".repeat(1024 * 1024 + 1) }),
    );
    await expectErrorA(response, 413, "Request body too large");
    expect(seen).toEqual([]);
  });

  it("answer 502 when the orchestrator cannot be reached", async () => {
    const { auth } = await tenantAuth();
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (new Request(input, init).url.startsWith(`${STUB}/`)) throw new TypeError("connection refused");
      return real(input, init);
    });
    const response = await callWithEnv(WITH_ORCHESTRATOR, "/api/v1/evidence/summary", init("GET", auth));
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ success: false, error: "orchestrator unavailable" });
  });
});
