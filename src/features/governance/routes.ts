/**
 * POST /api/v1/governance/explain — the authenticated probe of platform.md §9.5: proves a
 * credential works and shows the identity the server derived from it.
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import type { AppEnv } from "../../http/context";
import { authResponses, basicAuth, createRoute, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";

export function governanceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/api/v1/governance/explain", requireTenant(), (c) => {
    const { tenantId, orgId, clientId, tier } = c.var.identity;
    return c.json({ tenant_id: tenantId, org_id: orgId, client_id: clientId, tier });
  });
  methodNotAllowed(app, "/api/v1/governance/explain", ["POST"]);
  return app;
}

export const governanceRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/governance/explain",
    summary: "Authenticated probe: the identity derived from the credential",
    tags: ["Governance"],
    security: basicAuth,
    responses: {
      200: jsonResponse(
        z.object({ tenant_id: z.string(), org_id: z.string(), client_id: z.string(), tier: z.string() }),
        "The caller's identity and tier",
      ),
      ...authResponses,
    },
  }),
];
