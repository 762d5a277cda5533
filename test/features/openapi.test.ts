/** GET /openapi.json documents every served route, and real answers match the documented shapes. */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { buildApp, publicSurface, routeDocs } from "../../src/app";
import { billingSurface } from "../../src/billing-worker";
import { loadConfig } from "../../src/config";
import type { RouteDoc } from "../../src/http/openapi";
import { basic, call, registerTenant } from "../support/http";
import { testEnv } from "../support/tenant";

const config = (() => {
  const result = loadConfig(testEnv);
  if (!result.ok) throw new Error("test config invalid");
  return result.config;
})();

/** Hono path → OpenAPI path (`:id` → `{id}`, a trailing `*` → `{rest}`). */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{rest}");

function documented(method: string, path: string): RouteDoc | undefined {
  return routeDocs(config, { billing: true }).find(
    (doc) => doc.method === method.toLowerCase() && doc.path === openApiPath(path),
  );
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document listing every route the Worker serves", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    // The billing Worker's routes too: the public Worker forwards them and documents them.
    const served = [publicSurface, billingSurface]
      .flatMap((surface) => buildApp(config, surface, testEnv).routes)
      .filter((r) => r.method !== "ALL" && r.path !== "/*")
      .map((r) => ({ method: r.method.toLowerCase(), path: openApiPath(r.path) }));
    expect(served.length).toBeGreaterThan(10);
    const missing = served.filter((r) => !document.paths[r.path]?.[r.method]).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it("serves an API reference page at /docs", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/html");
    expect(await response.text()).toContain("/openapi.json");
  });
});

describe("documented answers match real ones", () => {
  const cases: Array<{ name: string; method: string; path: string; send: (auth: string) => Promise<Response> }> = [
    { name: "health", method: "GET", path: "/health", send: () => call("/health") },
    {
      name: "register 415",
      method: "POST",
      path: "/api/v1/register",
      send: () => call("/api/v1/register", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" }),
    },
    {
      name: "explain 401",
      method: "POST",
      path: "/api/v1/governance/explain",
      send: () => call("/api/v1/governance/explain", { method: "POST" }),
    },
    {
      name: "explain 200",
      method: "POST",
      path: "/api/v1/governance/explain",
      send: (auth) => call("/api/v1/governance/explain", { method: "POST", headers: { Authorization: auth } }),
    },
    ...(
      [
        ["check-input 200", "/api/v1/mcp/check-input", { connector_type: "x.y", statement: "ls" }],
        ["check-input 403", "/api/v1/mcp/check-input", { connector_type: "x.y", statement: "rm -rf /" }],
        ["check-input 400", "/api/v1/mcp/check-input", { statement: "ls" }],
        ["check-output 200", "/api/v1/mcp/check-output", { connector_type: "x.y", message: "ssn 123-45-6789" }],
        ["check-output 400", "/api/v1/mcp/check-output", { connector_type: "x.y" }],
        ["tool-call 201", "/api/v1/audit/tool-call", { tool_name: "Bash", success: true }],
        ["tool-call 400", "/api/v1/audit/tool-call", { tool_name: "" }],
        ["pre-check 200", "/api/policy/pre-check", { query: "hello" }],
        ["llm-call 200", "/api/audit/llm-call", { context_id: "ctx_1" }],
        ["request 403", "/api/request", { query: "select * from users" }],
        ["request 503", "/api/v1/request", { query: "hello" }],
        ["mcp 200", "/api/v1/mcp-server", { jsonrpc: "2.0", id: 1, method: "tools/list" }],
        ["mcp 400", "/api/v1/mcp-server", { jsonrpc: "1.0", id: 1, method: "ping" }],
      ] as const
    ).map(([name, path, body]) => ({
      name,
      method: "POST",
      path,
      send: (auth: string) =>
        call(path, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: auth },
          body: JSON.stringify(body),
        }),
    })),
    {
      name: "oauth 404",
      method: "GET",
      path: "/.well-known/oauth-protected-resource/*",
      send: () => call("/.well-known/oauth-protected-resource/api/v1/mcp-server"),
    },
  ];

  it.each(cases)("$name", async ({ method, path, send }) => {
    const tenant = await registerTenant();
    const response = await send(basic(tenant.tenant_id, tenant.secret));
    const doc = documented(method, path);
    expect(doc, `${method} ${path} is documented`).toBeDefined();
    const declared = doc?.responses[String(response.status)] as
      | { content?: Record<string, { schema: z.ZodType }> }
      | undefined;
    expect(declared, `${method} ${path} documents status ${response.status}`).toBeDefined();
    const schema = declared?.content?.["application/json"]?.schema;
    if (schema) {
      const parsed = schema.safeParse(await response.json());
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });
});
