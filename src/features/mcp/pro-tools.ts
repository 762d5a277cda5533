/**
 * The `axonflow_*` tools (decisions.md "MCP Pro tools", platform.md §4.7): the tenant id and the
 * Pro comparison for every tier (they are how a Free user upgrades); approval requests and tenant
 * policies for every tier up to the tier's cap (then the 403 envelope); the LLM cost pre-flight for
 * Pro and Premium only. All of them appear in every tenant's `tools/list`.
 */
import { z } from "zod";
import { APPROVAL_SEVERITIES, requestApproval } from "../../governance/approvals";
import type { GovernedCall } from "../../governance/call";
import { estimateCost } from "../../governance/cost-estimate";
import { actorOf } from "../../governance/overrides";
import { AGENT_POLICY_ACTIONS, createAgentPolicy } from "../../governance/static-policies";
import { BUY_URL, tierGateResponse, UPGRADE_URL } from "../../limits/envelopes";
import { formatCount, PRO_OFFER, TIERS } from "../../tiers";
import { limited, object, result, type Tool, text, toolError } from "./tool";

const str = z.string();
const emptyArgs = z.object({}).passthrough();

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

const approvalArgs = z.object({
  original_query: str.max(65_536).optional(),
  request_type: str.max(100).optional(),
  trigger_reason: str.max(255).optional(),
  severity: str.optional(),
});

const tenantPolicyArgs = z.object({
  name: str.max(255).optional(),
  connector_type: str.max(255).optional(),
  pattern: str.optional(),
  action: str.optional(),
  description: str.max(2000).optional(),
});

const costArgs = z.object({ plan: str.max(65_536).optional(), model: str.max(100).optional() });

export const PRO_TOOLS: Tool[] = [
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
    name: "axonflow_request_approval",
    description:
      "Ask a human to approve a risky operation before the agent goes ahead. The request waits for a reviewer in the AxonFlow customer portal. Free allows 2 requests per rolling 7 days, Pro 20.",
    inputSchema: object(
      {
        original_query: {
          type: "string",
          description: "The operation that needs approval, as the agent would run it.",
        },
        request_type: { type: "string", description: "What kind of operation it is (e.g. deploy, data_export)." },
        trigger_reason: { type: "string", description: "Why approval is needed." },
        severity: { type: "string", enum: [...APPROVAL_SEVERITIES], default: "medium" },
      },
      ["original_query", "request_type"],
    ),
    args: approvalArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof approvalArgs>;
      const originalQuery = text(a.original_query);
      const requestType = text(a.request_type);
      if (!originalQuery || !requestType) return toolError("original_query and request_type are required");
      const severity = text(a.severity);
      if (severity && !(APPROVAL_SEVERITIES as readonly string[]).includes(severity)) {
        return toolError(`severity must be one of: ${APPROVAL_SEVERITIES.join(", ")}`);
      }
      const { identity, userEmail, nowMs } = ctx.call;
      const outcome = await ctx.query((tx) =>
        requestApproval(
          tx,
          identity,
          actorOf(userEmail, identity),
          {
            originalQuery,
            requestType,
            triggerReason: text(a.trigger_reason),
            severity: severity as (typeof APPROVAL_SEVERITIES)[number] | undefined,
          },
          nowMs,
        ),
      );
      return outcome.kind === "limit" ? limited(outcome.limit) : result(outcome.result);
    },
  },
  {
    name: "axonflow_create_tenant_policy",
    description:
      "Create a policy for this tenant: a regular expression (RE2) checked against what a tool is about to run, for one tool (connector_type) or every tool ('*'). It applies to the next governed call. Free keeps 4 tenant policies active, Pro 50.",
    inputSchema: object(
      {
        name: { type: "string", description: "A name people will recognise in block reasons." },
        connector_type: {
          type: "string",
          description: "The tool it applies to (e.g. claude_code.Bash), or '*' for every tool.",
        },
        pattern: {
          type: "string",
          description: "RE2 regular expression matched against the statement (at most 1000 characters).",
        },
        action: { type: "string", enum: [...AGENT_POLICY_ACTIONS], description: "What happens on a match." },
        description: { type: "string", description: "Why the policy exists." },
      },
      ["name", "connector_type", "pattern", "action"],
    ),
    args: tenantPolicyArgs,
    async run(args, ctx) {
      const a = args as z.infer<typeof tenantPolicyArgs>;
      const name = text(a.name);
      const connectorType = text(a.connector_type);
      const action = text(a.action);
      if (!name || !connectorType || !a.pattern || !action) {
        return toolError("name, connector_type, pattern, and action are required");
      }
      const { identity, userEmail } = ctx.call;
      const outcome = await ctx.query((tx) =>
        createAgentPolicy(tx, identity, actorOf(userEmail, identity), {
          name,
          connectorType,
          pattern: a.pattern as string,
          action,
          description: text(a.description),
        }),
      );
      switch (outcome.kind) {
        case "invalid":
          return toolError(outcome.message);
        case "limit":
          return limited(outcome.limit);
        case "created":
          await ctx.invalidateGate();
          return result(outcome.result);
      }
    },
  },
  {
    name: "axonflow_get_cost_estimate",
    description:
      "Estimate what a multi-step plan will cost in LLM tokens before it runs (Pro and Premium). Input tokens are estimated from the plan's length, output from the 4,096-token step budget.",
    inputSchema: object(
      {
        plan: { type: "string", description: "Description of the multi-step operation to cost-estimate." },
        model: {
          type: "string",
          description: "LLM model identifier (e.g. 'claude-opus-4-7', 'gpt-4o'). Defaults to claude-sonnet-4-6.",
        },
      },
      ["plan"],
    ),
    args: costArgs,
    async run(args, ctx) {
      const { identity, nowMs } = ctx.call;
      if (identity.tier === "Free") {
        return limited(tierGateResponse(identity.tier, { limitType: "feature_pro_only" }, nowMs));
      }
      const a = args as z.infer<typeof costArgs>;
      const plan = text(a.plan);
      if (!plan) return toolError("plan is required");
      return result(estimateCost(plan, text(a.model)));
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
