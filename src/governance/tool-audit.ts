/**
 * Audits a client reports after the fact: tool calls (platform.md §9.4 `POST /api/v1/audit/tool-call`,
 * MCP `audit_tool_call`; `request_type = "tool_call_audit"`, decisions.md) and the SDK's gateway-mode
 * LLM calls (`POST /api/audit/llm-call`). Inputs and outputs are kept only as masked, bounded
 * summaries.
 */
import { z } from "zod";
import { AUDIT_QUERY_MAX_CHARS } from "../audit/records";
import { sha256Hex } from "../crypto";
import { evaluateResponse } from "../policy/engine";
import type { GovernedCall } from "./call";

const SUMMARY_MAX_CHARS = 500;

const text = (max: number) => z.string().max(max);

/**
 * Bounds of the audit_logs columns these values end in (response_time_ms bigint, tokens_used
 * integer, provider varchar(50), model varchar(100)). A record past them would fail its insert in
 * the tenant gate's outbox on every flush, holding back every record queued behind it.
 */
const MAX_MS = Number.MAX_SAFE_INTEGER;
const MAX_TOKENS = 2_147_483_647;
const milliseconds = () => z.number().finite().nonnegative().max(MAX_MS);
const tokens = () => z.number().int().nonnegative().max(MAX_TOKENS);

/** The tool-call body; unknown fields are ignored, known ones are checked. */
export const toolCallSchema = z.object({
  tool_name: z.string().trim().min(1, { error: "tool_name is required" }).max(255),
  tool_type: text(100).optional(),
  caller_name: text(100).optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  workflow_id: text(255).optional(),
  step_id: text(255).optional(),
  user_id: text(255).optional(),
  duration_ms: milliseconds().optional(),
  policies_applied: z.array(z.string().max(100)).max(100).optional(),
  success: z.boolean().optional(),
  error_message: text(4000).optional(),
});

export type ToolCall = z.infer<typeof toolCallSchema>;

/** JSON of a value, masked and cut to `max` characters. */
function summary(call: GovernedCall, value: unknown, max = SUMMARY_MAX_CHARS): string | undefined {
  if (value === undefined) return undefined;
  const raw = (typeof value === "string" ? value : (JSON.stringify(value) ?? "")).slice(0, max);
  return evaluateResponse(call.policies, "mcp:response", { connectorType: "", message: raw }).redactedMessage ?? raw;
}

/** The decision a plugin reports for the call (`output.policy_decision`), else success or error. */
function reportedDecision(tool: ToolCall): string {
  const reported = (tool.output as { policy_decision?: unknown } | undefined)?.policy_decision;
  if (typeof reported === "string" && /^[a-z_]{1,32}$/.test(reported)) return reported;
  return tool.success === false ? "error" : "allowed";
}

function tokenUsage(tool: ToolCall): number | undefined {
  const total = (tool.output as { token_usage?: { total_tokens?: unknown } } | undefined)?.token_usage?.total_tokens;
  return typeof total === "number" && Number.isInteger(total) && total >= 0 && total <= MAX_TOKENS ? total : undefined;
}

export interface RecordedToolCall {
  auditId: string;
  timestamp: Date;
}

/** Adds the tool call's audit row to the call's records. */
export async function recordToolCall(call: GovernedCall, tool: ToolCall): Promise<RecordedToolCall> {
  const { identity } = call;
  const auditId = `audit_${crypto.randomUUID()}`;
  const timestamp = new Date(call.nowMs);
  const query = `Tool: ${tool.tool_name}`;
  const [provider, ...model] = tool.tool_type === "llm_call" ? tool.tool_name.split(".") : [];
  call.records.push({
    kind: "audit",
    id: auditId,
    requestId: call.requestId,
    timestamp: timestamp.toISOString(),
    tenantId: identity.tenantId,
    orgId: identity.orgId,
    clientId: identity.clientId,
    userId: tool.user_id,
    userEmail: call.userEmail,
    requestType: "tool_call_audit",
    query,
    queryHash: await sha256Hex(query),
    policyDecision: reportedDecision(tool),
    policyDetails: {
      tool_name: tool.tool_name,
      tool_type: tool.tool_type,
      caller_name: tool.caller_name,
      success: tool.success ?? true,
      error_message: summary(call, tool.error_message, AUDIT_QUERY_MAX_CHARS),
      workflow_id: tool.workflow_id,
      step_id: tool.step_id,
      policies_applied: tool.policies_applied,
      input_summary: summary(call, tool.input),
      client: call.client,
    },
    provider: provider?.slice(0, 50) || undefined,
    model: model.length > 0 ? model.join(".").slice(0, 100) : undefined,
    responseTimeMs: tool.duration_ms === undefined ? undefined : Math.round(tool.duration_ms),
    tokensUsed: tokenUsage(tool),
    errorMessage: summary(call, tool.error_message, AUDIT_QUERY_MAX_CHARS),
    responseSample: summary(call, tool.output),
  });
  return { auditId, timestamp };
}

/** The gateway-mode LLM-call audit body (SDK `auditLLMCall`). */
export const llmCallSchema = z.object({
  context_id: z.string().trim().min(1, { error: "context_id is required" }).max(255),
  client_id: text(255).optional(),
  response_summary: text(100_000).optional(),
  provider: text(50).optional(),
  model: text(100).optional(),
  token_usage: z
    .object({
      prompt_tokens: tokens().optional(),
      completion_tokens: tokens().optional(),
      total_tokens: tokens().optional(),
    })
    .optional(),
  latency_ms: milliseconds().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export type LlmCall = z.infer<typeof llmCallSchema>;

/** Adds the LLM call's audit row (`request_type = "llm_call_audit"`) to the call's records. */
export async function recordLlmCall(call: GovernedCall, llm: LlmCall): Promise<RecordedToolCall> {
  const { identity } = call;
  const auditId = `audit_${crypto.randomUUID()}`;
  const timestamp = new Date(call.nowMs);
  const query = `LLM: ${llm.provider ?? "unknown"}/${llm.model ?? "unknown"}`;
  const usage = llm.token_usage;
  call.records.push({
    kind: "audit",
    id: auditId,
    requestId: call.requestId,
    timestamp: timestamp.toISOString(),
    tenantId: identity.tenantId,
    orgId: identity.orgId,
    clientId: identity.clientId,
    userEmail: call.userEmail,
    requestType: "llm_call_audit",
    query,
    queryHash: await sha256Hex(query),
    policyDecision: "allowed",
    policyDetails: { context_id: llm.context_id, metadata: summary(call, llm.metadata), client: call.client },
    provider: llm.provider,
    model: llm.model,
    responseTimeMs: llm.latency_ms === undefined ? undefined : Math.round(llm.latency_ms),
    tokensUsed:
      usage?.total_tokens ??
      (Math.min(MAX_TOKENS, (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0)) || undefined),
    responseSample: summary(call, llm.response_summary),
  });
  return { auditId, timestamp };
}
