/**
 * NUL characters on their way to Postgres (found by the fuzz, test/fuzz): text cannot hold U+0000
 * and jsonb refuses the `\u0000` escape, so a NUL in a path id, a query filter or a Basic user
 * name answered 500 or 503, and one in a tool call's fields stuck the tenant gate's outbox (every
 * flush failed). The connection now turns NUL into U+FFFD in every statement parameter.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { postgresSafe } from "../../src/db/client";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, randomLoopback, registerTenant } from "../support/http";
import { gateStub } from "../support/tenant";

describe("postgresSafe", () => {
  it("replaces NUL in text and the \\u0000 escape in JSON text, leaving everything else", () => {
    expect(postgresSafe("a\u0000b\u0000")).toBe("a\ufffdb\ufffd");
    const json = postgresSafe(JSON.stringify({ k: "a\u0000", "\u0000": ["\u0000"] })) as string;
    expect(json).not.toContain("\\u0000");
    expect(JSON.parse(json)).toEqual({ k: "a\ufffd", "\ufffd": ["\ufffd"] });
    // An escaped backslash before "u0000" is text, not a NUL escape.
    expect(postgresSafe(JSON.stringify({ k: "\\u0000" }))).toBe(JSON.stringify({ k: "\\u0000" }));
    // Plain text that merely spells the escape is not JSON, and stays as typed.
    expect(postgresSafe("printf '\\u0000'")).toBe("printf '\\u0000'");
    expect(postgresSafe(["x\u0000", 1])).toEqual(["x\ufffd", 1]);
    for (const value of [1, null, true, "plain", new Date(0)]) expect(postgresSafe(value)).toBe(value);
  });
});

describe("NUL bytes in requests", () => {
  it("answers a NUL in a path id or a query filter as not found / empty, not 500", async () => {
    const tenant = await registerTenant();
    const auth = { Authorization: basic(tenant.tenant_id, tenant.secret) };
    const ip = randomLoopback();
    for (const [path, status] of [
      ["/api/v1/dynamic-policies/a%00b", 404],
      ["/api/v1/static-policies/a%00b", 404],
      ["/api/v1/decisions/a%00b/explain", 404],
      ["/api/v1/dynamic-policies?search=a%00b", 200],
      ["/api/v1/overrides?policy_id=a%00b", 200],
    ] as const) {
      expect((await call(path, { headers: auth, ip })).status, path).toBe(status);
    }
  });

  it("answers a Basic user name with a NUL 401, not 503", async () => {
    const response = await call("/api/v1/governance/explain", {
      method: "POST",
      headers: { Authorization: basic("cs_x\u0000", "0".repeat(32)) },
      ip: randomLoopback(),
    });
    expect(response.status).toBe(401);
  });

  it("stores a tool call with NUL characters, and the gate's outbox flushes it", async () => {
    const tenant = await registerTenant();
    const response = await callWithEnv({}, "/api/v1/audit/tool-call", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: basic(tenant.tenant_id, tenant.secret),
        "CF-Connecting-IP": randomLoopback(),
      },
      body: JSON.stringify({ tool_name: "a\u0000b", input: { q: "x\u0000" }, error_message: "\u0000" }),
    });
    expect(response.status).toBe(201);
    const { audit_id } = (await response.json()) as { audit_id: string };
    expect(await runDurableObjectAlarm(gateStub(tenant.tenant_id))).toBe(true);
    const [row] = await superuser<{ query: string; tool_name: string }>(
      "select query, policy_details->>'tool_name' as tool_name from audit_logs where id = $1",
      [audit_id],
    );
    expect(row).toEqual({ query: "Tool: a\ufffdb", tool_name: "a\ufffdb" });
  });
});
