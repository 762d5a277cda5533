/**
 * The SDK's gateway and proxy modes (platform.md §9.5, clients.md §8.8):
 * - `POST /api/policy/pre-check`: policy approval of a query before the SDK calls its own LLM;
 * - `POST /api/audit/llm-call`: the audit of that LLM call;
 * - `POST /api/request` and its alias `POST /api/v1/request` (decisions.md): the query is checked
 *   (the only call site where the `sys_admin_*` rules apply), then forwarded to the orchestrator
 *   named by `AXONFLOW_ORCHESTRATOR_URL`, or 503 when none is configured. Outside the daily cap.
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { governedCall } from "../../governance/call";
import { decideRequest } from "../../governance/checks";
import { llmCallSchema, recordLlmCall } from "../../governance/tool-audit";
import { parseJsonText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { errorB } from "../../http/errors";
import { authResponses, basicAuth, createRoute, ErrorB, ErrorO, jsonResponse, type RouteDoc } from "../../http/openapi";
import { forwardToOrchestrator } from "../../http/orchestrator";
import { methodNotAllowed } from "../../http/routing";
import { nextUtcMidnight } from "../../limits/windows";
import { rfc3339 } from "../../time";

/** How long a pre-check approval is valid (the SDK's default). */
const CONTEXT_TTL_MS = 5 * 60_000;

const preCheckBody = z.object({
  query: z.string().optional(),
  user_token: z.string().optional(),
  client_id: z.string().optional(),
  data_sources: z.array(z.string().max(255)).max(100).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

const clientRequestBody = z
  .object({
    query: z.string().optional(),
    user_token: z.string().optional(),
    client_id: z.string().optional(),
    request_type: z.string().max(64).optional(),
  })
  .passthrough();

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** JSON body checked against `schema`; a body `client_id` other than the caller's is refused. */
async function parse<T extends { client_id?: string }>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<Parsed<T>> {
  const json = parseJsonText(await c.req.text());
  const parsed = schema.safeParse(json.kind === "ok" ? json.value : undefined);
  if (!parsed.success) return { ok: false, response: errorB(c, 400, "Invalid request body") };
  const clientId = parsed.data.client_id;
  if (clientId && clientId !== c.var.identity.tenantId && clientId !== "community") {
    return { ok: false, response: errorB(c, 403, "Tenant mismatch") };
  }
  return { ok: true, value: parsed.data };
}

export function gatewayRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/policy/pre-check", requireTenant({ governance: true }), async (c) => {
    const body = await parse(c, preCheckBody);
    if (!body.ok) return body.response;
    const query = body.value.query;
    if (!query) return errorB(c, 400, "query is required");
    const call = governedCall(c, c.var.identity, c.var.records, c.var.governance);
    const { evaluation, decisionId } = await decideRequest(
      call,
      { scope: "gateway_request:request", callSite: "pre_check", requestType: "policy_pre_check" },
      { statement: query, connectorType: "" },
    );
    const approved = !evaluation.blocking;
    const redacted = evaluation.redactedStatement;
    return c.json({
      context_id: `ctx_${decisionId}`,
      decision_id: decisionId,
      approved,
      approved_data: approved
        ? {
            query: redacted ?? query,
            data_sources: body.value.data_sources ?? [],
            redacted_fields: redacted ? ["query"] : [],
          }
        : {},
      policies: evaluation.matches.map((m) => m.policy.id),
      expires_at: rfc3339(new Date(call.nowMs + CONTEXT_TTL_MS)),
      ...(evaluation.blockReason ? { block_reason: evaluation.blockReason } : {}),
      ...(approved && redacted ? { requires_redaction: true } : {}),
      rate_limit: {
        limit: c.var.quota.limit,
        remaining: Math.max(0, c.var.quota.limit - c.var.quota.used),
        reset_at: rfc3339(nextUtcMidnight(call.nowMs)),
      },
    });
  });

  app.post("/api/audit/llm-call", requireTenant(), async (c) => {
    const json = parseJsonText(await c.req.text());
    const parsed = llmCallSchema.safeParse(json.kind === "ok" ? json.value : undefined);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const missingContext = issue?.path[0] === "context_id";
      return errorB(c, 400, missingContext ? "context_id is required" : "Invalid request body");
    }
    const recorded = await recordLlmCall(governedCall(c, c.var.identity, c.var.records), parsed.data);
    return c.json({ success: true, audit_id: recorded.auditId });
  });

  for (const path of ["/api/request", "/api/v1/request"]) {
    app.post(path, requireTenant({ countsQuota: false, governance: true }), async (c) => {
      const body = await parse(c, clientRequestBody);
      if (!body.ok) return body.response;
      const query = body.value.query;
      if (!query) return errorB(c, 400, "query is required");
      const started = Date.now();
      const { evaluation } = await decideRequest(
        governedCall(c, c.var.identity, c.var.records, c.var.governance),
        { scope: "proxy_request:request", callSite: "request", requestType: "gateway_request" },
        { statement: query, connectorType: "" },
      );
      if (evaluation.blocking) {
        const ids = evaluation.matches.map((m) => m.policy.id);
        return c.json(
          {
            success: false,
            blocked: true,
            block_reason: evaluation.blockReason,
            policy_info: {
              policies_evaluated: ids,
              static_checks: ids,
              processing_time: `${Date.now() - started}ms`,
              tenant_id: c.var.identity.tenantId,
            },
          },
          403 as ContentfulStatusCode,
        );
      }
      return forwardToOrchestrator(c, await c.req.text());
    });
    methodNotAllowed(app, path, ["POST"]);
  }
  for (const path of ["/api/policy/pre-check", "/api/audit/llm-call"]) methodNotAllowed(app, path, ["POST"]);
  return app;
}

export const PreCheckAnswer = z.object({
  context_id: z.string(),
  decision_id: z.string(),
  approved: z.boolean(),
  approved_data: z.record(z.string(), z.unknown()),
  policies: z.array(z.string()),
  expires_at: z.string(),
  block_reason: z.string().optional(),
  requires_redaction: z.boolean().optional(),
  rate_limit: z.object({ limit: z.number().int(), remaining: z.number().int(), reset_at: z.string() }),
});

export const RequestBlocked = z.object({
  success: z.literal(false),
  blocked: z.literal(true),
  block_reason: z.string(),
  policy_info: z.object({
    policies_evaluated: z.array(z.string()),
    static_checks: z.array(z.string()),
    processing_time: z.string(),
    tenant_id: z.string(),
  }),
});

export const gatewayRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/policy/pre-check",
    summary: "SDK gateway mode: approve a query before the SDK calls its LLM",
    tags: ["SDK gateway"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: preCheckBody } } } },
    responses: {
      200: jsonResponse(PreCheckAnswer, "Approved or not (approved:false with block_reason)"),
      ...authResponses,
      400: jsonResponse(ErrorB, "query is required, Invalid request body"),
      403: jsonResponse(
        z.union([ErrorB, authResponses[403].content["application/json"].schema]),
        "Tenant mismatch or license",
      ),
    },
  }),
  createRoute({
    method: "post",
    path: "/api/audit/llm-call",
    summary: "SDK gateway mode: audit the LLM call",
    tags: ["SDK gateway"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: llmCallSchema } } } },
    responses: {
      200: jsonResponse(z.object({ success: z.literal(true), audit_id: z.string() }), "Recorded"),
      ...authResponses,
      400: jsonResponse(ErrorB, "context_id is required, Invalid request body"),
    },
  }),
  ...["/api/request", "/api/v1/request"].map((path) =>
    createRoute({
      method: "post",
      path,
      summary: "SDK proxy mode: check the query, then forward it to the orchestrator (outside the daily cap)",
      tags: ["SDK gateway"],
      security: basicAuth,
      request: { body: { content: { "application/json": { schema: clientRequestBody } } } },
      responses: {
        200: { description: "The orchestrator's answer, relayed" },
        ...authResponses,
        400: jsonResponse(ErrorB, "query is required, Invalid request body"),
        403: jsonResponse(z.union([RequestBlocked, ErrorB]), "Blocked by policy, or Tenant mismatch"),
        502: jsonResponse(ErrorO, "orchestrator unavailable"),
        503: jsonResponse(
          z.union([ErrorO, authResponses[503].content["application/json"].schema]),
          "orchestrator not configured",
        ),
      },
    }),
  ),
];
