/**
 * GET /api/v1/decisions and GET /api/v1/decisions/{id}/explain (platform.md §9.4): the tenant's
 * recent decisions within its tier's window, and why one was taken. A limit above the tier's cap
 * answers the 429 `decision_list_size` envelope rather than trimming silently.
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { withOrgScope } from "../../db/scope";
import { DECISION_MESSAGES, explainDecision, listDecisions } from "../../governance/decisions";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { errorOrchestrator } from "../../http/errors";
import {
  authResponses,
  basicAuth,
  createRoute,
  ErrorOrchestrator,
  jsonResponse,
  LimitEnvelope,
  type RouteDoc,
} from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { decisionListLimitResponse, restLimitResponse } from "../../limits/envelopes";

export function decisionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/decisions", requireTenant(), requireDatabase, async (c) => {
    const { identity } = c.var;
    const filters = {
      limit: c.req.query("limit")?.trim(),
      since: c.req.query("since")?.trim(),
      decision: c.req.query("decision")?.trim(),
      policy_id: c.req.query("policy_id")?.trim(),
      tool_signature: c.req.query("tool_signature")?.trim(),
    };
    const listed = await withOrgScope(c.var.db, identity.orgId, (tx) =>
      listDecisions(tx, identity.tier, filters, Date.now()),
    );
    if (listed.kind === "invalid") return errorOrchestrator(c, 400, listed.message);
    if (listed.kind === "over_cap") return restLimitResponse(decisionListLimitResponse(identity.tier, listed.limit));
    return c.json({ decisions: listed.decisions });
  });

  app.get("/api/v1/decisions/:id/explain", requireTenant(), requireDatabase, async (c) => {
    const id = c.req.param("id").trim();
    if (!id) return errorOrchestrator(c, 400, "decision_id required");
    const outcome = await withOrgScope(c.var.db, c.var.identity.orgId, (tx) => explainDecision(tx, id));
    return outcome.ok ? c.json(outcome.value) : errorOrchestrator(c, outcome.status, outcome.message);
  });

  methodNotAllowed(app, "/api/v1/decisions", ["GET"]);
  methodNotAllowed(app, "/api/v1/decisions/:id/explain", ["GET"]);
  return app;
}

export const DecisionItem = z.object({
  decision_id: z.string(),
  timestamp: z.string(),
  decision: z.string(),
  policy_id: z.string().optional(),
  tool_signature: z.string().optional(),
});

export const DecisionExplanation = z.object({
  decision_id: z.string(),
  timestamp: z.string(),
  policy_matches: z.array(
    z.object({
      policy_id: z.string(),
      policy_name: z.string().optional(),
      action: z.string().optional(),
      risk_level: z.string().optional(),
      allow_override: z.boolean().optional(),
      policy_description: z.string().optional(),
    }),
  ),
  decision: z.string(),
  reason: z.string(),
  risk_level: z.string().optional(),
  override_available: z.boolean(),
  override_existing_id: z.string().optional(),
  historical_hit_count_session: z.number().int(),
  tool_signature: z.string().optional(),
});

export const decisionRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: "/api/v1/decisions",
    summary: "Recent decisions (Free: 5 in 24 h; Pro: 100 in 30 days)",
    tags: ["Decisions"],
    security: basicAuth,
    request: {
      query: z.object({
        limit: z.string().optional(),
        since: z.string().optional(),
        decision: z.string().optional(),
        policy_id: z.string().optional(),
        tool_signature: z.string().optional(),
      }),
    },
    responses: {
      200: jsonResponse(z.object({ decisions: z.array(DecisionItem) }), "Newest first"),
      ...authResponses,
      400: jsonResponse(
        ErrorOrchestrator,
        `${DECISION_MESSAGES.limit}; ${DECISION_MESSAGES.since}; ${DECISION_MESSAGES.decision}`,
      ),
      429: jsonResponse(
        z.union([LimitEnvelope, authResponses[429].content["application/json"].schema]),
        "limit over the tier's cap (decision_list_size) or a rate limit",
      ),
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/decisions/{id}/explain",
    summary: "Why a decision was taken",
    tags: ["Decisions"],
    security: basicAuth,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonResponse(DecisionExplanation, "The explanation"),
      ...authResponses,
      404: jsonResponse(ErrorOrchestrator, DECISION_MESSAGES.notFound),
    },
  }),
];
