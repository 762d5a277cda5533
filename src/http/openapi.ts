/**
 * The OpenAPI 3.1 description of the whole surface (GET /openapi.json, GET /docs). Each feature
 * declares its routes with `createRoute` from the zod schemas its handlers use, next to the
 * handlers; this module holds the shared pieces (error shapes, security) and builds the document
 * once per isolate, when it is first asked for. Handlers keep their own check order, so the
 * declarations document the routes rather than wire validation into them.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";

export { createRoute };
export type RouteDoc = RouteConfig;

/** Shape A: `{"error":{"code":<status>,"message":"…"}}`. */
export const ErrorA = z.object({ error: z.object({ code: z.number().int(), message: z.string() }) });
/** Shape B (`ClientResponse`): `{"success":false,"error":"…","blocked":false}`. */
export const ErrorB = z.object({ success: z.literal(false), error: z.string(), blocked: z.boolean() });
/** The orchestrator's `{"success":false,"error":"…"}`. */
export const ErrorO = z.object({ success: z.literal(false), error: z.string() });
/** The reference orchestrator's full error body (audit, overrides, decisions). */
export const ErrorOrchestrator = z.object({
  request_id: z.string(),
  success: z.literal(false),
  error: z.string(),
  redacted: z.boolean(),
  policy_info: z.null(),
  provider_info: z.null(),
  processing_time: z.string(),
});
/** The V1 limit envelope (platform.md §4.4–4.7). */
export const LimitEnvelope = z.object({
  error: z.string(),
  limit_type: z.string(),
  tier: z.string(),
  limit: z.number().int(),
  remaining: z.number().int(),
  window: z.string().optional(),
  resets_at: z.string().optional(),
  upgrade: z.object({ tier: z.string(), wording: z.string(), compare_url: z.string(), buy_url: z.string() }),
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** The answers every Basic-authenticated route can give before its handler runs. */
export const authResponses = {
  401: jsonResponse(ErrorA, "Missing, malformed or wrong credentials; a terminated tenant; a rejected license token"),
  403: jsonResponse(ErrorA, "License token for another tenant"),
  429: jsonResponse(
    z.union([ErrorA, LimitEnvelope]),
    "Per-credential limit (shape A), tier per-minute limit or daily quota (envelope)",
  ),
  503: jsonResponse(ErrorA, "Database or tenant gate unavailable"),
};

export const basicAuth = [{ basicAuth: [] }];

let cached: { key: readonly RouteDoc[]; document: unknown } | undefined;

/** The OpenAPI 3.1 document for `routes` (built once per isolate). */
export function openApiDocument(routes: readonly RouteDoc[], version: string): unknown {
  if (cached?.key === routes) return cached.document;
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", {
    type: "http",
    scheme: "basic",
    description: "tenant_id:secret from POST /api/v1/register",
  });
  for (const route of routes) app.openAPIRegistry.registerPath(route);
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "axonflow-edge",
      version,
      description:
        "The AxonFlow Community-SaaS control plane on Cloudflare Workers: registration, Basic-auth governed checks for the IDE plugins and SDKs, licenses and billing.",
    },
  });
  cached = { key: routes, document };
  return document;
}
