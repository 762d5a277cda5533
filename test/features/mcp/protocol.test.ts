/** The MCP server's JSON-RPC contract (platform.md §9.2, clients.md §8.1). */
import { describe, expect, it } from "vitest";
import { AUTH_MESSAGES } from "../../../src/auth/messages";
import { basic, call, registerTenant } from "../../support/http";
import { pluginTenant, rpc, toolCall, toolPayload } from "../../support/mcp";

const initialize = (protocolVersion = "2025-06-18") => ({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion, capabilities: {}, clientInfo: { name: "cursor-vscode", version: "1.0.0" } },
});

describe("MCP server — lifecycle", () => {
  it("answers initialize with the protocol, tool capability and a session id", async () => {
    const { auth } = await pluginTenant();
    const response = await rpc(initialize(), { auth });
    expect(response.status).toBe(200);
    expect(response.headers.get("Mcp-Session-Id")).toMatch(/^axonflow-[0-9a-f]{24}$/);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: {
        protocolVersion: "2025-06-18",
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: "axonflow", version: expect.any(String) },
      },
    });
  });

  it("echoes the legacy protocol version 2024-11-05 and answers the latest for unknown ones", async () => {
    const { auth } = await pluginTenant();
    const legacy = (await (await rpc(initialize("2024-11-05"), { auth })).json()) as {
      result: { protocolVersion: string };
    };
    expect(legacy.result.protocolVersion).toBe("2024-11-05");
    const future = (await (await rpc(initialize("2099-01-01"), { auth })).json()) as {
      result: { protocolVersion: string };
    };
    expect(future.result.protocolVersion).toBe("2025-06-18");
  });

  it("rejects an unsupported MCP-Protocol-Version header with 400 -32600", async () => {
    const { auth } = await pluginTenant();
    const response = await rpc(initialize(), { auth, headers: { "MCP-Protocol-Version": "1999-01-01" } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32600 } });
  });

  it("gives each initialize a new session and ends it with DELETE (then 404)", async () => {
    const { auth } = await pluginTenant();
    const first = (await rpc(initialize(), { auth })).headers.get("Mcp-Session-Id") as string;
    const second = (await rpc(initialize(), { auth })).headers.get("Mcp-Session-Id") as string;
    expect(first).not.toBe(second);
    const end = (id: string, authorization = auth) =>
      call("/api/v1/mcp-server", { method: "DELETE", headers: { Authorization: authorization, "Mcp-Session-Id": id } });
    expect((await end(first)).status).toBe(200);
    expect((await end(first)).status).toBe(404);
    // Sessions belong to their tenant: another tenant cannot end this one.
    const other = await pluginTenant();
    expect((await end(second, other.auth)).status).toBe(404);
    expect((await end(second)).status).toBe(200);
  });

  it("answers DELETE without a session id with 400 and without credentials with 401", async () => {
    const { auth } = await pluginTenant();
    expect((await call("/api/v1/mcp-server", { method: "DELETE", headers: { Authorization: auth } })).status).toBe(400);
    const anonymous = await call("/api/v1/mcp-server", {
      method: "DELETE",
      headers: { "Mcp-Session-Id": "axonflow-x" },
    });
    expect(anonymous.status).toBe(401);
  });

  it("serves tools/call inside a session and without one alike", async () => {
    const { auth } = await pluginTenant();
    const session = (await rpc(initialize(), { auth })).headers.get("Mcp-Session-Id") as string;
    const args = { connector_type: "cursor.Shell", statement: "ls -la" };
    const inSession = await toolPayload(
      await rpc(toolCall("check_policy", args), { auth, headers: { "Mcp-Session-Id": session } }),
    );
    const sessionless = await toolPayload(await rpc(toolCall("check_policy", args), { auth }));
    const unknownSession = await toolPayload(
      await rpc(toolCall("check_policy", args), {
        auth,
        headers: { "Mcp-Session-Id": "axonflow-000000000000000000000000" },
      }),
    );
    for (const payload of [inSession, sessionless, unknownSession]) expect(payload.allowed).toBe(true);
  });

  it("answers notifications with 202 and an empty body", async () => {
    const response = await rpc({ jsonrpc: "2.0", method: "notifications/initialized" });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
  });

  it("answers ping with an empty result", async () => {
    const { auth } = await pluginTenant();
    expect(await (await rpc({ jsonrpc: "2.0", id: "p", method: "ping" }, { auth })).json()).toEqual({
      jsonrpc: "2.0",
      id: "p",
      result: {},
    });
  });

  it("answers GET with 405 and OPTIONS with 204 CORS", async () => {
    const get = await call("/api/v1/mcp-server");
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toContain("POST");
    const options = await call("/api/v1/mcp-server", {
      method: "OPTIONS",
      headers: { Origin: "https://example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(options.status).toBe(204);
    expect(options.headers.get("Access-Control-Allow-Headers")).toContain("Mcp-Session-Id");
  });

  it.each([
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/api/v1/mcp-server",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/api/v1/mcp-server",
  ])("answers %s with a JSON 404 oauth_not_supported", async (path) => {
    const response = await call(path);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: "oauth_not_supported",
      error_description: expect.any(String),
    });
  });
});

describe("MCP server — tools/list", () => {
  it("lists every tool with an object input schema", async () => {
    const { auth } = await pluginTenant();
    const body = (await (await rpc({ jsonrpc: "2.0", id: 2, method: "tools/list" }, { auth })).json()) as {
      result: { tools: Array<{ name: string; description: string; inputSchema: { type: string } }> };
    };
    const names = body.result.tools.map((t) => t.name);
    for (const required of [
      "check_policy",
      "check_output",
      "audit_tool_call",
      "axonflow_get_tenant_id",
      "axonflow_list_pro_features",
    ]) {
      expect(names).toContain(required);
    }
    for (const tool of body.result.tools) {
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.description.length).toBeGreaterThan(10);
    }
  });
});

describe("MCP server — JSON-RPC errors", () => {
  it("answers unparseable JSON with 400 -32700", async () => {
    const response = await rpc("{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error: invalid JSON" },
    });
  });

  it("answers a wrong jsonrpc version, a missing method and batches with 400 -32600", async () => {
    for (const message of [
      { jsonrpc: "1.0", id: 3, method: "ping" },
      { jsonrpc: "2.0", id: 3 },
      [{ jsonrpc: "2.0", id: 3, method: "ping" }],
    ]) {
      const response = await rpc(message);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: -32600 } });
    }
  });

  it("answers a non-JSON Content-Type with 415", async () => {
    const response = await rpc("{}", { headers: { "Content-Type": "text/plain" } });
    expect(response.status).toBe(415);
  });

  it("answers an unknown method with -32601, echoing the id", async () => {
    expect(await (await rpc({ jsonrpc: "2.0", id: 42, method: "resources/list" })).json()).toEqual({
      jsonrpc: "2.0",
      id: 42,
      error: { code: -32601, message: "Method not found: resources/list" },
    });
  });

  it("answers an unknown tool, a missing name and non-object arguments with -32602", async () => {
    const { auth } = await pluginTenant();
    const cases = [
      { params: { name: "no_such_tool", arguments: {} }, message: "Unknown tool: no_such_tool" },
      { params: { name: "", arguments: {} }, message: "Missing tool name in tools/call" },
      { params: { name: "check_policy", arguments: "ls" }, message: "Invalid tool call parameters" },
      { params: "nope", message: "Invalid tool call parameters" },
    ];
    for (const { params, message } of cases) {
      const body = await (await rpc({ jsonrpc: "2.0", id: 7, method: "tools/call", params }, { auth })).json();
      expect(body).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32602, message } });
    }
  });

  it("answers an argument of the wrong type with -32602 naming the field", async () => {
    const { auth } = await pluginTenant();
    const body = (await (
      await rpc(toolCall("check_policy", { connector_type: "cursor.Shell", statement: 42 }), { auth })
    ).json()) as {
      error: { code: number; message: string };
    };
    expect(body.error.code).toBe(-32602);
    expect(body.error.message).toContain("statement");
  });

  it("answers a missing required argument with a tool error (isError), as the reference does", async () => {
    const { auth } = await pluginTenant();
    expect(await (await rpc(toolCall("check_policy", { connector_type: "cursor.Shell" }), { auth })).json()).toEqual({
      jsonrpc: "2.0",
      id: "hook-pre",
      result: { content: [{ type: "text", text: "connector_type and statement are required" }], isError: true },
    });
  });

  it("echoes numeric, string and null ids verbatim", async () => {
    const { auth } = await pluginTenant();
    for (const id of [0, 17, 2.5, "hook-audit", "", null]) {
      const body = (await (await rpc({ jsonrpc: "2.0", id, method: "ping" }, { auth })).json()) as { id: unknown };
      expect(body.id).toStrictEqual(id);
    }
  });
});

describe("MCP server — authentication", () => {
  const ping = { jsonrpc: "2.0", id: 9, method: "tools/list" };

  it("answers a missing credential with 401, the Basic realm and -32001", async () => {
    const response = await rpc(ping);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="AxonFlow MCP Server"');
    expect(await response.json()).toEqual({
      jsonrpc: "2.0",
      id: 9,
      error: { code: -32001, message: AUTH_MESSAGES.missing },
    });
  });

  it("treats Cursor's empty 'Basic ' and empty license header as absent", async () => {
    const response = await rpc(ping, { auth: "Basic ", headers: { "X-License-Token": "", "X-User-Token": "" } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: -32001, message: AUTH_MESSAGES.missing } });
  });

  it("answers a wrong secret with -32001 and the generic message", async () => {
    const tenant = await registerTenant();
    const response = await rpc(ping, { auth: basic(tenant.tenant_id, "0".repeat(32)) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: -32001, message: AUTH_MESSAGES.invalid } });
  });

  it("accepts Codex's Authorization without the Basic scheme", async () => {
    const tenant = await registerTenant();
    const raw = btoa(`${tenant.tenant_id}:${tenant.secret}`);
    expect((await rpc(ping, { auth: raw })).status).toBe(200);
  });

  it("sends the upgrade hint only to clients without X-Axonflow-Client", async () => {
    const { auth } = await pluginTenant();
    const plugin = await rpc(ping, { auth });
    expect(plugin.headers.get("X-Axonflow-Upgrade-Hint")).toBeNull();
    const bare = await rpc(ping, { auth, headers: { "X-Axonflow-Client": "" } });
    expect(bare.headers.get("X-Axonflow-Upgrade-Hint")).toContain("X-Axonflow-Client");
  });
});
