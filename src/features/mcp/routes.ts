/**
 * POST /api/v1/mcp-server — the MCP server the Claude Code, Cursor and Codex plugins call from
 * their hooks (platform.md §9.2, clients.md §8.1): JSON-RPC 2.0 over streamable HTTP, answered as
 * plain JSON. Every call authenticates from its headers, so a sessionless `tools/call` (what the
 * hooks send) works the same as one inside a session; `initialize` hands out a session id kept in
 * the tenant's gate for 24 h, which DELETE ends. An unknown session id is not an error: like the
 * reference, the request is authenticated from its headers.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { GovernanceRecord } from "../../audit/records";
import { type AuthFailure, authenticateTenant, deferRecords, setAuthenticatedHeaders } from "../../auth/middleware";
import { randomHex } from "../../crypto";
import { governedCall } from "../../governance/call";
import { readBodyText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { queryAsTenant } from "../../http/database";
import { createRoute, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { jsonRpcLimitResponse, perMinuteResponse } from "../../limits/envelopes";
import { invalidateTenantGate } from "../../limits/gate-client";
import { type JsonRpcId, jsonRpcIdSchema, parseMessage, RPC_ERROR, rpcError, rpcResult, toolResult } from "./jsonrpc";
import { callTool, TOOL_DESCRIPTORS } from "./tools";

export const MCP_PATH = "/api/v1/mcp-server";
/** Tool inputs carry whole file contents (Write/Edit hooks); the app-wide cap still applies. */
const MAX_BODY_BYTES = 1024 * 1024;
const PROTOCOL_LATEST = "2025-06-18";
const PROTOCOL_LEGACY = "2024-11-05";
const AUTH_REALM = 'Basic realm="AxonFlow MCP Server"';
/** Methods answered after authentication; anything else is -32601 without a gate round trip. */
const METHODS = new Set(["initialize", "ping", "tools/list", "tools/call"]);

function rpcResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** Auth failures in JSON-RPC form: -32001 with 401 (plugins fail closed), limits as envelopes. */
function authFailureResponse(failure: AuthFailure, id: JsonRpcId): Response {
  switch (failure.kind) {
    case "unauthenticated":
      return rpcResponse(rpcError(id, RPC_ERROR.unauthorized, failure.message), 401, {
        "WWW-Authenticate": AUTH_REALM,
      });
    case "license":
      if (failure.status === 503) return rpcResponse(rpcError(id, RPC_ERROR.internalError, failure.message), 503);
      return rpcResponse(
        rpcError(id, RPC_ERROR.unauthorized, failure.message),
        failure.status,
        failure.status === 401 ? { "WWW-Authenticate": AUTH_REALM } : {},
      );
    case "rate_limited":
      return jsonRpcLimitResponse(perMinuteResponse("", failure.limit, Date.now()), id);
    case "limit":
      return jsonRpcLimitResponse(failure.limit, id);
    case "unavailable":
      return rpcResponse(rpcError(id, RPC_ERROR.internalError, "Service temporarily unavailable"), 503);
  }
}

/** Echoes the legacy version when the client asks for it (header or params), else the latest. */
function negotiateProtocol(c: Context<AppEnv>, params: unknown): string {
  const requested = (params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  return c.req.header("MCP-Protocol-Version") === PROTOCOL_LEGACY || requested === PROTOCOL_LEGACY
    ? PROTOCOL_LEGACY
    : PROTOCOL_LATEST;
}

function clientName(params: unknown): string {
  const name = (params as { clientInfo?: { name?: unknown } } | undefined)?.clientInfo?.name;
  return typeof name === "string" ? name.slice(0, 100) : "";
}

/**
 * Check order as in the reference: media type, protocol header, body, envelope (400s), then
 * notifications (202, no auth) and unknown methods (-32601), then authentication and dispatch.
 */
async function handlePost(c: Context<AppEnv>): Promise<Response> {
  const contentType = c.req.header("Content-Type");
  if (contentType && !contentType.trim().toLowerCase().startsWith("application/json")) {
    return rpcResponse(rpcError(null, RPC_ERROR.invalidRequest, "Content-Type must be application/json"), 415);
  }
  const protocol = c.req.header("MCP-Protocol-Version");
  if (protocol && protocol !== PROTOCOL_LATEST && protocol !== PROTOCOL_LEGACY) {
    const message = `Unsupported protocol version: ${protocol} (supported: ${PROTOCOL_LATEST}, ${PROTOCOL_LEGACY})`;
    return rpcResponse(rpcError(null, RPC_ERROR.invalidRequest, message), 400);
  }
  const body = await readBodyText(c, MAX_BODY_BYTES);
  if (body.kind !== "ok") {
    const tooLarge = body.kind === "too_large";
    return rpcResponse(
      rpcError(null, RPC_ERROR.invalidRequest, tooLarge ? "Request body too large" : "Failed to read request body"),
      tooLarge ? 413 : 400,
    );
  }
  const message = parseMessage(body.text);
  if (message.kind === "invalid") return rpcResponse(rpcError(message.id, message.code, message.message), 400);
  if (message.kind === "notification") return c.body(null, 202);
  const { id, method, params } = message;
  if (!METHODS.has(method)) return rpcResponse(rpcError(id, RPC_ERROR.methodNotFound, `Method not found: ${method}`));

  const sessionId = method === "initialize" ? `axonflow-${randomHex(12)}` : undefined;
  const protocolVersion = negotiateProtocol(c, params);
  const outcome = await authenticateTenant(c, {
    countsQuota: method === "tools/call",
    governance: method === "tools/call",
    session: sessionId ? { op: "create", id: sessionId, protocolVersion, clientName: clientName(params) } : undefined,
  });
  if (!outcome.ok) return authFailureResponse(outcome.failure, id);
  setAuthenticatedHeaders(c, outcome.licenseExpired);
  const { identity } = outcome;
  c.set("log", c.var.log.with({ tenantId: identity.tenantId }));

  switch (method) {
    case "initialize":
      return rpcResponse(
        rpcResult(id, {
          protocolVersion,
          capabilities: { tools: { listChanged: false } },
          serverInfo: { name: "axonflow", version: c.var.config.AXONFLOW_PLATFORM_VERSION },
        }),
        200,
        { "Mcp-Session-Id": sessionId as string },
      );
    case "ping":
      return rpcResponse(rpcResult(id, {}));
    case "tools/list":
      return rpcResponse(rpcResult(id, { tools: TOOL_DESCRIPTORS }));
    default: {
      const records: GovernanceRecord[] = [];
      const called = await callTool(params, {
        call: governedCall(c, identity, records, outcome.governance),
        query: (fn) => queryAsTenant(c, identity.orgId, fn),
        invalidateGate: async () => {
          await invalidateTenantGate(c.env, identity.tenantId);
        },
      });
      deferRecords(c, identity.tenantId, { records });
      switch (called.kind) {
        case "invalid_params":
          return rpcResponse(rpcError(id, RPC_ERROR.invalidParams, called.message));
        case "limit":
          return jsonRpcLimitResponse(called.limit, id);
        case "result":
          return rpcResponse(rpcResult(id, toolResult(called.payload, called.isError)));
      }
    }
  }
}

/** Ends a session: 400 without the header, 404 when the session is not live, else 200. */
async function handleDelete(c: Context<AppEnv>): Promise<Response> {
  const sessionId = c.req.header("Mcp-Session-Id")?.trim();
  if (!sessionId) {
    return rpcResponse(rpcError(null, RPC_ERROR.invalidRequest, "Mcp-Session-Id header is required"), 400);
  }
  const outcome = await authenticateTenant(c, { countsQuota: false, session: { op: "end", id: sessionId } });
  if (!outcome.ok) return authFailureResponse(outcome.failure, null);
  setAuthenticatedHeaders(c, outcome.licenseExpired);
  if (outcome.session !== "live") {
    return rpcResponse(rpcError(null, RPC_ERROR.invalidRequest, "Session not found or expired"), 404);
  }
  return c.body(null, 200);
}

const OAUTH_NOT_SUPPORTED = {
  error: "oauth_not_supported",
  error_description:
    "This server authenticates with HTTP Basic credentials (tenant_id:secret); OAuth discovery is not supported.",
};

export function mcpRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(MCP_PATH, handlePost);
  app.delete(MCP_PATH, handleDelete);
  methodNotAllowed(app, MCP_PATH, ["POST", "DELETE"], "Method not allowed. Use POST for JSON-RPC requests.");
  // Claude Code probes these after a 401; a JSON 404 tells it to keep using the configured headers.
  for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server"]) {
    app.get(path, (c) => c.json(OAUTH_NOT_SUPPORTED, 404));
    app.get(`${path}/*`, (c) => c.json(OAUTH_NOT_SUPPORTED, 404));
  }
  return app;
}

const JsonRpcError = z.object({
  jsonrpc: z.literal("2.0"),
  id: jsonRpcIdSchema,
  error: z.object({ code: z.number().int(), message: z.string() }),
});
const JsonRpcResult = z.object({ jsonrpc: z.literal("2.0"), id: jsonRpcIdSchema, result: z.unknown() });
const ToolResult = z.object({
  jsonrpc: z.literal("2.0"),
  id: jsonRpcIdSchema,
  result: z.object({
    content: z.array(z.object({ type: z.literal("text"), text: z.string() })),
    isError: z.literal(true).optional(),
  }),
});
const OAuthNotSupported = z.object({ error: z.literal("oauth_not_supported"), error_description: z.string() });
const rpc = (description: string) => jsonResponse(z.union([JsonRpcResult, JsonRpcError]), description);

export const mcpRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: MCP_PATH,
    summary: "MCP server (JSON-RPC 2.0 over streamable HTTP, answered as JSON)",
    description:
      "Methods: initialize (answers Mcp-Session-Id), ping, tools/list, tools/call; notifications answer 202. Every call authenticates from its headers, with or without a session. Tool results are `{content:[{type:'text',text:<JSON>}]}`; limits answer the V1 envelope as that text with isError.",
    tags: ["MCP"],
    security: [{ basicAuth: [] }],
    request: {
      body: {
        content: {
          "application/json": {
            schema: z.object({
              jsonrpc: z.literal("2.0"),
              id: jsonRpcIdSchema.optional(),
              method: z.string(),
              params: z.unknown().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: rpc("A result, a tool result (isError for tool failures) or a JSON-RPC error (-32601, -32602)"),
      202: { description: "Notification accepted (empty body)" },
      400: jsonResponse(
        JsonRpcError,
        "Parse error (-32700), invalid request (-32600) or unsupported MCP-Protocol-Version",
      ),
      401: jsonResponse(
        JsonRpcError,
        'Authentication failure: -32001 with WWW-Authenticate: Basic realm="AxonFlow MCP Server"',
      ),
      403: jsonResponse(JsonRpcError, "License token for another tenant (-32001)"),
      413: jsonResponse(JsonRpcError, "Body over 1 MiB"),
      415: jsonResponse(JsonRpcError, "Content-Type other than application/json"),
      429: jsonResponse(
        ToolResult,
        "Per-minute limit or daily quota: the V1 envelope (see LimitEnvelope) as the tool result text",
      ),
      503: jsonResponse(JsonRpcError, "Database or tenant gate unavailable (-32603)"),
    },
  }),
  createRoute({
    method: "delete",
    path: MCP_PATH,
    summary: "End an MCP session",
    tags: ["MCP"],
    security: [{ basicAuth: [] }],
    request: { headers: z.object({ "mcp-session-id": z.string() }) },
    responses: {
      200: { description: "Ended" },
      400: jsonResponse(JsonRpcError, "No Mcp-Session-Id header"),
      401: jsonResponse(JsonRpcError, "Authentication failure (-32001)"),
      404: jsonResponse(JsonRpcError, "No live session with that id for this tenant"),
    },
  }),
  ...["/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server"].flatMap((path) =>
    [path, `${path}/{rest}`].map((p) =>
      createRoute({
        method: "get",
        path: p,
        summary: "OAuth discovery: not supported (Basic credentials only)",
        tags: ["MCP"],
        ...(p.endsWith("{rest}") ? { request: { params: z.object({ rest: z.string() }) } } : {}),
        responses: { 404: jsonResponse(OAuthNotSupported, "OAuth is not supported") },
      }),
    ),
  ),
];
