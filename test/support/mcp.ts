/** Plugin-shaped JSON-RPC calls to the MCP server, as the hook scripts send them. */
import { expect } from "vitest";
import { basic, call, callWithEnv, type Registration, registerTenant } from "./http";

export const PLUGIN_CLIENT = "cursor-plugin/1.7.0";

export interface RpcOptions {
  auth?: string;
  headers?: Record<string, string>;
  ip?: string;
  /** Waits for the request's background work (records handed to the gate) before resolving. */
  settled?: boolean;
  /** Bindings replaced for this request (implies settled). */
  env?: Record<string, string>;
}

/** POSTs one JSON-RPC message (object or raw text) to /api/v1/mcp-server. */
export function rpc(message: unknown, { auth, headers = {}, ip, settled, env }: RpcOptions = {}): Promise<Response> {
  const merged: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/json",
    "X-Axonflow-Client": PLUGIN_CLIENT,
    "CF-Connecting-IP": ip ?? "127.0.0.1",
    ...headers,
  };
  if (auth !== undefined) merged.Authorization = auth;
  const init = {
    method: "POST",
    headers: merged,
    body: typeof message === "string" ? message : JSON.stringify(message),
  };
  return settled || env ? callWithEnv(env ?? {}, "/api/v1/mcp-server", init) : call("/api/v1/mcp-server", init);
}

export const toolCall = (name: string, args: Record<string, unknown>, id: string | number = "hook-pre") => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

/** The JSON payload of a successful tools/call (the text block parsed). */
export async function toolPayload(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { result: { content: Array<{ text: string }>; isError?: boolean } };
  expect(body.result.isError).toBeUndefined();
  return JSON.parse(body.result.content[0]?.text ?? "null") as Record<string, unknown>;
}

/** A fresh tenant and its Basic credential. */
export async function pluginTenant(): Promise<{ tenant: Registration; auth: string }> {
  const tenant = await registerTenant();
  return { tenant, auth: basic(tenant.tenant_id, tenant.secret) };
}

/** check_policy for one statement, as the pre-tool hook sends it. */
export async function checkPolicy(auth: string, statement: string, connectorType = "cursor.Shell") {
  return toolPayload(
    await rpc(toolCall("check_policy", { connector_type: connectorType, statement, operation: "execute" }), { auth }),
  );
}
