/**
 * The tools an agent uses to read and steer its tenant's governance (platform.md §9.2): the
 * policies in force, activity statistics, audit search, decisions and their explanations, and
 * session overrides. Every read runs under the tenant's org scope.
 */
import { z } from "zod";
import { type AuditScope, parseRfc3339, searchAudit, summarizeAudit } from "../../governance/audit-read";
import type { GovernedCall } from "../../governance/call";
import { explainDecision, listDecisions } from "../../governance/decisions";
import { actorOf, createOverride, createOverrideBody, listOverrides, revokeOverride } from "../../governance/overrides";
import { listPolicyCatalogue } from "../../governance/policy-catalogue";
import { SEVERITIES } from "../../governance/static-policies";
import { decisionListLimitResponse } from "../../limits/envelopes";
import { object, outcomeResult, result, type Tool, text, toolError } from "./tool";

const str = z.string();

const HOUR_MS = 3_600_000;
const STATS_DEFAULT_WINDOW_MS = 24 * HOUR_MS;
const SEARCH_DEFAULT_WINDOW_MS = 15 * 60_000;
const SEARCH_LIMIT = { default: 20, max: 100 } as const;
/** Audit queries are cut to this many characters in search results, as the reference does. */
const QUERY_PREVIEW_CHARS = 200;

const scopeOf = (call: GovernedCall): AuditScope => ({
  tenantId: call.identity.tenantId,
  tier: call.identity.tier,
  nowMs: call.nowMs,
});

/**
 * A time argument: RFC 3339, or a bare `YYYY-MM-DD` meaning that day's first (`from`) or last
 * (`to`) second in UTC. Absent → the fallback; unparseable → undefined.
 */
function timeArg(value: string | undefined, edge: "start" | "end", fallback: Date): Date | undefined {
  const given = text(value);
  if (!given) return fallback;
  if (/^\d{4}-\d\d-\d\d$/.test(given)) return parseRfc3339(`${given}T${edge === "start" ? "00:00:00" : "23:59:59"}Z`);
  return parseRfc3339(given);
}

const listPoliciesArgs = z.object({ category: str.optional(), severity: str.optional() });
const statsArgs = z.object({ connector_type: str.optional(), from: str.optional(), to: str.optional() });
const searchArgs = z.object({
  from: str.optional(),
  to: str.optional(),
  limit: z.number().optional(),
  request_type: str.optional(),
});

export const DATA_TOOLS: Tool[] = [
  {
    name: "list_policies",
    description:
      "List the governance policies in force for this tenant: the system policies and the tenant's own static and dynamic policies, with names, categories, patterns and severities.",
    inputSchema: object({
      category: { type: "string", description: "Only policies of this category (e.g. security-sqli, pii-us)." },
      severity: { type: "string", enum: [...SEVERITIES], description: "Only policies of this severity." },
    }),
    args: listPoliciesArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof listPoliciesArgs>;
      const filters = { category: text(a.category), severity: text(a.severity) };
      const policies = await ctx.query((tx) => listPolicyCatalogue(tx, ctx.call.identity, filters));
      return result({ policies, count: policies.length });
    },
  },
  {
    name: "get_policy_stats",
    description:
      "Summarise governance activity: total events, allowed, blocked and redacted checks, the block rate, the most triggered policies and a compliance score. Defaults to the last 24 hours; the tier's audit retention bounds how far back it sees.",
    inputSchema: object({
      connector_type: {
        type: "string",
        description: "Accepted for compatibility with the reference; the summary covers every tool.",
      },
      from: { type: "string", description: "Start (RFC 3339, or YYYY-MM-DD for that day's start). Default 24 h ago." },
      to: { type: "string", description: "End (RFC 3339, or YYYY-MM-DD for that day's end). Default now." },
    }),
    args: statsArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof statsArgs>;
      const now = new Date(ctx.call.nowMs);
      const start = timeArg(a.from, "start", new Date(ctx.call.nowMs - STATS_DEFAULT_WINDOW_MS));
      if (!start) return toolError("get policy stats failed: Invalid start_time: must be RFC3339 format");
      const end = timeArg(a.to, "end", now);
      if (!end) return toolError("get policy stats failed: Invalid end_time: must be RFC3339 format");
      return result(await ctx.query((tx) => summarizeAudit(tx, scopeOf(ctx.call), { start, end })));
    },
  },
  {
    name: "search_audit_events",
    description:
      "Search the tenant's audit records: tool calls, policy checks and their decisions, with timestamps, for compliance evidence and debugging. Defaults to the last 15 minutes, 20 events (at most 100).",
    inputSchema: object({
      from: { type: "string", description: "Start (RFC 3339). Defaults to 15 minutes ago." },
      to: { type: "string", description: "End (RFC 3339). Defaults to now." },
      limit: { type: "number", default: SEARCH_LIMIT.default, description: "Events to return (default 20, max 100)." },
      request_type: {
        type: "string",
        description: "Only this request type (e.g. tool_call_audit, mcp_check_input, llm_call).",
      },
    }),
    args: searchArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof searchArgs>;
      const startTime = timeArg(a.from, "start", new Date(ctx.call.nowMs - SEARCH_DEFAULT_WINDOW_MS));
      if (!startTime) return toolError("search audit events failed: from must be an RFC 3339 time");
      const endTime = timeArg(a.to, "end", new Date(ctx.call.nowMs));
      if (!endTime) return toolError("search audit events failed: to must be an RFC 3339 time");
      const requested = a.limit === undefined || a.limit <= 0 ? SEARCH_LIMIT.default : Math.floor(a.limit);
      const page = await ctx.query((tx) =>
        searchAudit(tx, scopeOf(ctx.call), {
          startTime,
          endTime,
          requestType: text(a.request_type),
          limit: Math.min(requested, SEARCH_LIMIT.max),
        }),
      );
      const entries = page.entries.map((entry) =>
        entry.query.length > QUERY_PREVIEW_CHARS
          ? { ...entry, query: `${entry.query.slice(0, QUERY_PREVIEW_CHARS)}...(truncated)` }
          : entry,
      );
      return result({ ...page, entries });
    },
  },
];

const overrideArgs = createOverrideBody.extend({ ttl_seconds: z.number().optional() });
const deleteOverrideArgs = z.object({ override_id: str.optional() });
const listOverridesArgs = z.object({ policy_id: str.optional(), include_revoked: z.boolean().optional() });

export const OVERRIDE_TOOLS: Tool[] = [
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
        listOverrides(tx, { policyId: text(a.policy_id), includeRevoked: a.include_revoked === true }),
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

export const DECISION_TOOLS: Tool[] = [
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
        since: text(a.since),
        decision: text(a.decision),
        policy_id: text(a.policy_id),
        tool_signature: text(a.tool_signature),
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
