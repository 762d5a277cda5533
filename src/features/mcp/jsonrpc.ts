/**
 * The JSON-RPC 2.0 envelope of the MCP server (platform.md §9.2, clients.md §8.1), written here
 * rather than taken from an MCP SDK: the hooks call `tools/call` with no initialize and no session,
 * send plain `Accept: application/json`, and branch on exact codes and on the 401 header, which
 * the SDK transports do not keep; they would also add ajv and a server runtime to a Worker that
 * aims at a small bundle.
 */
import { z } from "zod";

export type JsonRpcId = string | number | null;

/** Error codes the plugins branch on (-32001 fails closed; -32601/-32602 deny; others fail open). */
export const RPC_ERROR = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  unauthorized: -32001,
} as const;

/** A JSON-RPC id: echoed verbatim, numbers and strings alike. */
export const jsonRpcIdSchema = z.union([z.string(), z.number(), z.null()]);

const requestSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: jsonRpcIdSchema.optional(),
  method: z.string().min(1),
  params: z.unknown().optional(),
});

export type ParsedMessage =
  | { kind: "request"; id: JsonRpcId; method: string; params: unknown }
  | { kind: "notification"; method: string }
  | { kind: "invalid"; id: JsonRpcId; code: number; message: string };

/** Reads one JSON-RPC message from a body text (batches are not part of MCP since 2025-06-18). */
export function parseMessage(text: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "invalid", id: null, code: RPC_ERROR.parseError, message: "Parse error: invalid JSON" };
  }
  if (Array.isArray(value)) {
    return { kind: "invalid", id: null, code: RPC_ERROR.invalidRequest, message: "Batch requests are not supported" };
  }
  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const raw = typeof value === "object" && value !== null ? (value as { id?: unknown; jsonrpc?: unknown }) : {};
    const id = jsonRpcIdSchema.safeParse(raw.id).success ? (raw.id as JsonRpcId) : null;
    const message = raw.jsonrpc === "2.0" ? "Invalid Request" : "Invalid JSON-RPC version";
    return { kind: "invalid", id, code: RPC_ERROR.invalidRequest, message };
  }
  const { id, method, params } = parsed.data;
  if (id === undefined) return { kind: "notification", method };
  return { kind: "request", id, method, params };
}

export function rpcResult(id: JsonRpcId, result: unknown) {
  return { jsonrpc: "2.0" as const, id, result };
}

export function rpcError(id: JsonRpcId, code: number, message: string) {
  return { jsonrpc: "2.0" as const, id, error: { code, message } };
}

/** Object keys sorted at every depth: the reference marshals Go maps, whose keys come out sorted. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return Object.fromEntries(
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortedKeys(v)]),
    );
  }
  return value;
}

/**
 * A tool result: the payload as pretty-printed JSON (two-space indent, sorted keys) in one text
 * block, or the message itself for a tool error; `isError` only when true, as the reference sends.
 */
export function toolResult(payload: unknown, isError = false) {
  const text = typeof payload === "string" ? payload : JSON.stringify(sortedKeys(payload), null, 2);
  const content = [{ type: "text" as const, text }];
  return isError ? { content, isError: true } : { content };
}
