/**
 * The MCP tools (platform.md §9.2; input schemas as the reference lists them). Each tool checks
 * its arguments with zod: a wrong type is a JSON-RPC -32602, a missing required value is a tool
 * error (`isError`) with the reference's message, which plugins treat as "no decision" and allow.
 */
import { z } from "zod";
import type { Tx } from "../../db/client";
import type { GovernedCall } from "../../governance/call";
import { checkInput, checkOutput } from "../../governance/checks";
import { explainDecision, listDecisions } from "../../governance/decisions";
import {
  actorOf,
  createOverride,
  createOverrideBody,
  listOverrides,
  type Outcome,
  revokeOverride,
} from "../../governance/overrides";
import { recordToolCall, toolCallSchema } from "../../governance/tool-audit";
import { DatabaseUnavailable } from "../../http/database";
import { SERVICE_UNAVAILABLE } from "../../http/errors";
import type { LimitResponse } from "../../limits/envelopes";
import { BUY_URL, decisionListLimitResponse, UPGRADE_URL } from "../../limits/envelopes";
import { formatCount, PRO_OFFER, TIERS } from "../../tiers";
import { rfc3339 } from "../../time";

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

interface Tool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** Argument types (an issue here is -32602). */
  args: z.ZodType<Record<string, unknown>>;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}

const result = (payload: unknown): ToolOutcome => ({ kind: "result", payload });
const toolError = (message: string): ToolOutcome => ({ kind: "result", payload: message, isError: true });
const object = (properties: Record<string, unknown>, required?: string[]) => ({
  type: "object",
  properties,
  ...(required ? { required } : {}),
});
const str = z.string();
const emptyArgs = z.object({}).passthrough();

const checkPolicyArgs = z.object({
  connector_type: str.max(255).optional(),
  statement: str.optional(),
  operation: str.max(64).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

const checkOutputArgs = z.object({
  connector_type: str.max(255).optional(),
  message: str.optional(),
  response_data: z.array(z.unknown()).optional(),
});

const auditArgs = toolCallSchema.extend({ tool_name: str.optional() });

function proFeatures(call: GovernedCall) {
  const { Free: free, Pro: pro } = TIERS;
  const times = (a: number, b: number) => `${Math.round(a / b)}× Free`;
  return {
    buy_url: BUY_URL,
    current_tier: call.identity.tier,
    differentiators: [
      {
        capability: "Daily quota",
        free: `${formatCount(free.dailyEvents)} events/day`,
        id: "daily_quota",
        pro: `${formatCount(pro.dailyEvents)} events/day (${times(pro.dailyEvents, free.dailyEvents)})`,
      },
      {
        capability: "Audit retention",
        free: `${free.auditRetentionDays} days`,
        id: "audit_retention",
        pro: `${pro.auditRetentionDays} days (${times(pro.auditRetentionDays, free.auditRetentionDays)})`,
      },
      {
        capability: "Custom tenant policies",
        free: `${free.activePolicies} active max`,
        id: "active_policies",
        pro: `${pro.activePolicies} active max`,
      },
      {
        capability: "HITL approval gating",
        free: `${free.approvalsPer7Days} per rolling 7 days`,
        id: "hitl_approvals",
        pro: `${pro.approvalsPer7Days} per rolling 7 days`,
      },
      { capability: "LLM cost pre-flight", free: "Not available", id: "cost_preflight", pro: "Available" },
    ],
    pricing: {
      duration_days: PRO_OFFER.validityDays,
      price_usd: Number(PRO_OFFER.price.replace("$", "")),
      renewal: "one-time (re-purchase to extend; no auto-renewal)",
    },
    success: true,
    tone: "Free is for trying AxonFlow out; Pro lifts the limits once it governs your everyday work.",
    upgrade_url: UPGRADE_URL,
  };
}

const TOOLS: Tool[] = [
  {
    name: "check_policy",
    description:
      "Check a tool call against the AxonFlow governance policies before it runs. Answers whether it is allowed and, when blocked, why and by which policies.",
    inputSchema: object(
      {
        connector_type: { type: "string", description: "Tool identifier, e.g. claude_code.Bash or cursor.Shell" },
        statement: { type: "string", description: "What the tool is about to run: command, query or file content" },
        operation: { type: "string", enum: ["execute", "query"], default: "execute" },
        parameters: { type: "object" },
      },
      ["connector_type", "statement"],
    ),
    args: checkPolicyArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof checkPolicyArgs>;
      if (!a.connector_type || !a.statement) return toolError("connector_type and statement are required");
      const answer = await checkInput(
        call,
        {
          connectorType: a.connector_type,
          statement: a.statement,
          operation: a.operation || "execute",
          parameters: a.parameters,
        },
        "mcp",
      );
      return result(answer.body);
    },
  },
  {
    name: "check_output",
    description:
      "Scan a tool's output for PII, secrets and prompt injections. Answers whether it may be shown, with the masked text when something was found.",
    inputSchema: object(
      {
        connector_type: { type: "string", description: "Tool identifier that produced the output" },
        message: { type: "string", description: "Text output to scan" },
        response_data: { type: "array", items: { type: "object" } },
      },
      ["connector_type"],
    ),
    args: checkOutputArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof checkOutputArgs>;
      if (!a.connector_type) return toolError("connector_type is required");
      const answer = await checkOutput(
        call,
        { connectorType: a.connector_type, message: a.message, responseData: a.response_data },
        "mcp",
      );
      return result(answer.body);
    },
  },
  {
    name: "audit_tool_call",
    description: "Record a tool execution in the tenant's AxonFlow audit trail.",
    inputSchema: object(
      {
        tool_name: { type: "string" },
        tool_type: { type: "string", default: "claude_code" },
        caller_name: { type: "string" },
        input: { type: "object" },
        output: { type: "object" },
        success: { type: "boolean" },
        error_message: { type: "string" },
        duration_ms: { type: "number" },
      },
      ["tool_name", "input", "success"],
    ),
    args: auditArgs,
    async run(args, { call }) {
      const a = args as z.infer<typeof auditArgs>;
      const toolName = a.tool_name?.trim();
      if (!toolName) return toolError("tool_name is required");
      const recorded = await recordToolCall(call, {
        ...a,
        tool_name: toolName,
        tool_type: a.tool_type || "claude_code",
      });
      const timestamp = rfc3339(recorded.timestamp);
      return result({
        recorded: true,
        tool_name: toolName,
        timestamp,
        details: { audit_id: recorded.auditId, status: "recorded", timestamp },
      });
    },
  },
  {
    name: "axonflow_get_tenant_id",
    description:
      "Return the calling tenant's id, its current tier and where to upgrade (the tenant id is what Stripe Checkout asks for). Available on every tier.",
    inputSchema: object({}),
    args: emptyArgs,
    async run(_args, { call }) {
      return result({
        buy_url: BUY_URL,
        success: true,
        tenant_id: call.identity.tenantId,
        tier: call.identity.tier,
        upgrade_url: UPGRADE_URL,
      });
    },
  },
  {
    name: "axonflow_list_pro_features",
    description: "Return what Plugin Pro adds over Free, as data. Available on every tier.",
    inputSchema: object({}),
    args: emptyArgs,
    async run(_args, { call }) {
      return result(proFeatures(call));
    },
  },
];

const overrideArgs = createOverrideBody.extend({ ttl_seconds: z.number().optional() });
const deleteOverrideArgs = z.object({ override_id: str.optional() });
const listOverridesArgs = z.object({ policy_id: str.optional(), include_revoked: z.boolean().optional() });

/** A tool result from a data outcome; failures read "<what> failed: <message>" as tool errors. */
function outcomeResult<T>(what: string, outcome: Outcome<T>): ToolOutcome {
  return outcome.ok ? result(outcome.value) : toolError(`${what} failed: ${outcome.message}`);
}

const OVERRIDE_TOOLS: Tool[] = [
  {
    name: "create_override",
    description:
      "Let one blocking policy through for a while, with a written reason (a session override). TTL is clamped to 60..86400 seconds (default 3600). Critical policies and policies with allow_override=false cannot be overridden.",
    inputSchema: object(
      {
        policy_id: { type: "string", description: "Policy to override (as in blocked_by / policy_matches)." },
        policy_type: { type: "string", enum: ["static", "dynamic"], description: "Policy type." },
        override_reason: { type: "string", description: "Why the override is needed (1-500 characters)." },
        tool_signature: { type: "string", description: "Optional: only for this tool (connector_type)." },
        ttl_seconds: { type: "number", description: "Requested lifetime in seconds (default 3600, 60..86400)." },
      },
      ["policy_id", "policy_type", "override_reason"],
    ),
    args: overrideArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof overrideArgs>;
      if (!a.policy_id?.trim() || !a.policy_type || !a.override_reason?.trim()) {
        return toolError("policy_id, policy_type, and override_reason are required");
      }
      const { identity, userEmail, nowMs } = ctx.call;
      const outcome = await ctx.query((tx) => createOverride(tx, identity, actorOf(userEmail, identity), a, nowMs));
      if (outcome.ok) await ctx.invalidateGate();
      return outcomeResult("create override", outcome);
    },
  },
  {
    name: "delete_override",
    description: "Revoke an override; the next policy check no longer consults it.",
    inputSchema: object({ override_id: { type: "string", description: "The id create_override returned." } }, [
      "override_id",
    ]),
    args: deleteOverrideArgs,
    async run(args, ctx) {
      const id = (args as z.infer<typeof deleteOverrideArgs>).override_id?.trim();
      if (!id) return toolError("override_id is required");
      const { identity, userEmail, nowMs } = ctx.call;
      const outcome = await ctx.query((tx) => revokeOverride(tx, id, actorOf(userEmail, identity), nowMs));
      if (outcome.ok) await ctx.invalidateGate();
      return outcomeResult("delete override", outcome);
    },
  },
  {
    name: "list_overrides",
    description: "List the tenant's overrides, newest first, to audit or revoke them.",
    inputSchema: object({
      policy_id: { type: "string", description: "Only overrides of this policy." },
      include_revoked: { type: "boolean", description: "Include revoked overrides. Default false." },
    }),
    args: listOverridesArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof listOverridesArgs>;
      const listed = await ctx.query((tx) =>
        listOverrides(tx, { policyId: a.policy_id?.trim() || undefined, includeRevoked: a.include_revoked === true }),
      );
      return result(listed);
    },
  },
];

const recentDecisionsArgs = z.object({
  limit: z.number().optional(),
  since: str.optional(),
  decision: str.optional(),
  policy_id: str.optional(),
  tool_signature: str.optional(),
});
const explainArgs = z.object({ decision_id: str.optional() });

const DECISION_TOOLS: Tool[] = [
  {
    name: "list_recent_decisions",
    description:
      "List the tenant's recent governance decisions (what was allowed, blocked or redacted), newest first. Free shows the last 5 in 24 hours, Pro 100 in 30 days; asking for more answers the upgrade envelope.",
    inputSchema: object({
      limit: { type: "integer", minimum: 1, maximum: 1000, description: "Rows to return (up to the tier's cap)." },
      since: { type: "string", format: "date-time", description: "RFC3339 lower bound, clamped to the tier's window." },
      decision: {
        type: "string",
        enum: ["allowed", "blocked", "redacted", "needs_approval", "error", "allow", "deny", "require_approval"],
        description: "Only decisions with this verdict.",
      },
      policy_id: { type: "string", description: "Only decisions taken by this policy." },
      tool_signature: { type: "string", description: "Only decisions for this tool (connector_type)." },
    }),
    args: recentDecisionsArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof recentDecisionsArgs>;
      const filters = {
        limit: a.limit === undefined ? undefined : String(Math.trunc(a.limit)),
        since: a.since?.trim() || undefined,
        decision: a.decision?.trim() || undefined,
        policy_id: a.policy_id?.trim() || undefined,
        tool_signature: a.tool_signature?.trim() || undefined,
      };
      const { identity, nowMs } = ctx.call;
      const listed = await ctx.query((tx) => listDecisions(tx, identity.tier, filters, nowMs));
      if (listed.kind === "invalid") return toolError(`list recent decisions failed: ${listed.message}`);
      if (listed.kind === "over_cap") {
        // The reference answers the cap as data, not as an error, so agents can show the upgrade.
        const envelope = decisionListLimitResponse(identity.tier, listed.limit).envelope;
        return result({ envelope, upgrade_required: true });
      }
      return result({ decisions: listed.decisions });
    },
  },
  {
    name: "explain_decision",
    description:
      "Explain a decision by its decision_id: the policies that matched, the reason, the risk, whether an override is available, and how often the policy fired in the 24 hours before.",
    inputSchema: object({ decision_id: { type: "string", description: "The decision_id a check returned." } }, [
      "decision_id",
    ]),
    args: explainArgs,
    async run(args, ctx) {
      const id = (args as z.infer<typeof explainArgs>).decision_id?.trim();
      if (!id) return toolError("decision_id is required");
      return outcomeResult("explain decision", await ctx.query((tx) => explainDecision(tx, id)));
    },
  },
];

const ALL_TOOLS = [...TOOLS, ...OVERRIDE_TOOLS, ...DECISION_TOOLS];
const BY_NAME = new Map(ALL_TOOLS.map((tool) => [tool.name, tool]));

/** `tools/list`: every tool with its object input schema. */
export const TOOL_DESCRIPTORS = ALL_TOOLS.map(({ name, description, inputSchema }) => ({
  name,
  description,
  inputSchema,
}));

const callParams = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).nullish(),
});

/** `tools/call`: finds the tool, checks its arguments, runs it. */
export async function callTool(params: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  const parsed = callParams.safeParse(params);
  if (!parsed.success) return { kind: "invalid_params", message: "Invalid tool call parameters" };
  if (!parsed.data.name) return { kind: "invalid_params", message: "Missing tool name in tools/call" };
  const tool = BY_NAME.get(parsed.data.name);
  if (!tool) return { kind: "invalid_params", message: `Unknown tool: ${parsed.data.name}` };
  const args = tool.args.safeParse(parsed.data.arguments ?? {});
  if (!args.success) {
    const issue = args.error.issues[0];
    const field = issue?.path.join(".") || "arguments";
    return { kind: "invalid_params", message: `Invalid arguments for ${tool.name}: ${field}: ${issue?.message}` };
  }
  try {
    return await tool.run(args.data, ctx);
  } catch (error) {
    if (error instanceof DatabaseUnavailable) return toolError(SERVICE_UNAVAILABLE);
    throw error;
  }
}
