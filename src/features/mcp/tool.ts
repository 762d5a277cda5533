/**
 * What every MCP tool is made of (platform.md §9.2): a descriptor for `tools/list`, zod argument
 * types (a wrong type is a JSON-RPC -32602) and a run function. A missing required value is a tool
 * error (`isError`) with the reference's message, which plugins treat as "no decision" and allow.
 */
import type { z } from "zod";
import type { Tx } from "../../db/client";
import type { GovernedCall } from "../../governance/call";
import type { LimitResponse } from "../../limits/envelopes";

export type ToolOutcome =
  | { kind: "result"; payload: unknown; isError?: boolean }
  | { kind: "invalid_params"; message: string }
  | { kind: "limit"; limit: LimitResponse };

/** What a tool may use: the governed call, the tenant's data, and the gate's invalidation. */
export interface ToolContext {
  call: GovernedCall;
  /** One transaction under the tenant's org scope; throws DatabaseUnavailable. */
  query<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Makes the tenant's gate re-read its governance state (after an override or policy change). */
  invalidateGate(): Promise<void>;
}

export interface Tool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** Argument types (an issue here is -32602). */
  args: z.ZodType<Record<string, unknown>>;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}

export const result = (payload: unknown): ToolOutcome => ({ kind: "result", payload });
export const toolError = (message: string): ToolOutcome => ({ kind: "result", payload: message, isError: true });
export const limited = (limit: LimitResponse): ToolOutcome => ({ kind: "limit", limit });

/** A JSON Schema object for `inputSchema`. */
export const object = (properties: Record<string, unknown>, required?: string[]) => ({
  type: "object",
  properties,
  ...(required ? { required } : {}),
});

/** A tool result from a data outcome; failures read "<what> failed: <message>" as tool errors. */
export function outcomeResult<T>(
  what: string,
  outcome: { ok: true; value: T } | { ok: false; message: string },
): ToolOutcome {
  return outcome.ok ? result(outcome.value) : toolError(`${what} failed: ${outcome.message}`);
}

/** A trimmed string argument, or undefined when absent or blank. */
export const text = (value: string | undefined): string | undefined => value?.trim() || undefined;
