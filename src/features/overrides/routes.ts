/**
 * /api/v1/overrides (platform.md §9.4): create, list, read and revoke session overrides. The gate
 * is invalidated after every write, so the next check sees the change. Errors use the reference
 * orchestrator's body.
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { withOrgScope } from "../../db/scope";
import {
  actorOf,
  createOverride,
  createOverrideBody,
  getOverride,
  listOverrides,
  type Outcome,
  revokeOverride,
} from "../../governance/overrides";
import { parseJsonText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { errorOrchestrator } from "../../http/errors";
import {
  authResponses,
  basicAuth,
  createRoute,
  ErrorOrchestrator,
  jsonResponse,
  type RouteDoc,
} from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { invalidateTenantGate } from "../../limits/gate-client";

const scoped = <T>(c: Context<AppEnv>, fn: Parameters<typeof withOrgScope<T>>[2]) =>
  withOrgScope(c.var.db, c.var.identity.orgId, fn);

const answer = <T>(c: Context<AppEnv>, outcome: Outcome<T>, status: ContentfulStatusCode = 200) =>
  outcome.ok ? c.json(outcome.value as object, status) : errorOrchestrator(c, outcome.status, outcome.message);

export function overrideRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = [requireTenant(), requireDatabase] as const;
  const actor = (c: Context<AppEnv>) => actorOf(c.req.header("X-User-Email")?.trim() || undefined, c.var.identity);

  app.post("/api/v1/overrides", ...guard, async (c) => {
    const json = parseJsonText(await c.req.text());
    const body = createOverrideBody.safeParse(json.kind === "ok" ? json.value : undefined);
    if (!body.success) return errorOrchestrator(c, 400, "Invalid request body");
    const outcome = await scoped(c, (tx) => createOverride(tx, c.var.identity, actor(c), body.data, Date.now()));
    if (outcome.ok) await invalidateTenantGate(c.env, c.var.identity.tenantId);
    return answer(c, outcome, 201);
  });

  app.get("/api/v1/overrides", ...guard, async (c) => {
    const policyId = c.req.query("policy_id")?.trim() || undefined;
    const includeRevoked = c.req.query("include_revoked") === "true";
    return c.json(await scoped(c, (tx) => listOverrides(tx, { policyId, includeRevoked })));
  });

  app.get("/api/v1/overrides/:id", ...guard, async (c) =>
    answer(c, await scoped(c, (tx) => getOverride(tx, c.req.param("id")))),
  );

  app.delete("/api/v1/overrides/:id", ...guard, async (c) => {
    const outcome = await scoped(c, (tx) => revokeOverride(tx, c.req.param("id"), actor(c), Date.now()));
    if (outcome.ok) await invalidateTenantGate(c.env, c.var.identity.tenantId);
    return answer(c, outcome);
  });

  methodNotAllowed(app, "/api/v1/overrides", ["GET", "POST"]);
  methodNotAllowed(app, "/api/v1/overrides/:id", ["GET", "DELETE"]);
  return app;
}

export const OverrideView = z.object({
  id: z.string(),
  policy_id: z.string(),
  policy_type: z.string(),
  tenant_id: z.string(),
  override_reason: z.string(),
  expires_at: z.string().optional(),
  tool_signature: z.string().optional(),
  created_by: z.string(),
  created_at: z.string().optional(),
  revoked_at: z.string().optional(),
  revoked_by: z.string().optional(),
});

const idParam = z.object({ id: z.string() });

export const overrideRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/overrides",
    summary: "Create a session override (TTL default 3600 s, clamped to 60..86400)",
    tags: ["Overrides"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: createOverrideBody } } } },
    responses: {
      201: jsonResponse(
        z.object({
          id: z.string(),
          policy_id: z.string(),
          policy_type: z.string(),
          expires_at: z.string(),
          ttl_seconds: z.number().int(),
          requested_ttl: z.number().int().optional(),
          clamped: z.boolean().optional(),
          clamped_reason: z.string().optional(),
          created_at: z.string(),
        }),
        "Created",
      ),
      ...authResponses,
      400: jsonResponse(
        ErrorOrchestrator,
        "Invalid body, missing policy_id/override_reason, bad policy_type, reason over 500",
      ),
      403: jsonResponse(
        z.union([ErrorOrchestrator, authResponses[403].content["application/json"].schema]),
        "Critical or allow_override=false policy",
      ),
      404: jsonResponse(ErrorOrchestrator, "Policy not found"),
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/overrides",
    summary: "List the tenant's overrides (newest first, at most 100)",
    tags: ["Overrides"],
    security: basicAuth,
    request: {
      query: z.object({ policy_id: z.string().optional(), include_revoked: z.enum(["true", "false"]).optional() }),
    },
    responses: {
      200: jsonResponse(z.object({ overrides: z.array(OverrideView), count: z.number().int() }), "The overrides"),
      ...authResponses,
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/overrides/{id}",
    summary: "One override",
    tags: ["Overrides"],
    security: basicAuth,
    request: { params: idParam },
    responses: {
      200: jsonResponse(OverrideView, "The override"),
      ...authResponses,
      404: jsonResponse(ErrorOrchestrator, "Override not found"),
    },
  }),
  createRoute({
    method: "delete",
    path: "/api/v1/overrides/{id}",
    summary: "Revoke an override",
    tags: ["Overrides"],
    security: basicAuth,
    request: { params: idParam },
    responses: {
      200: jsonResponse(z.object({ id: z.string(), revoked_at: z.string() }), "Revoked"),
      ...authResponses,
      404: jsonResponse(ErrorOrchestrator, "Override not found or already revoked"),
    },
  }),
];
