/**
 * POST /api/v1/governance/explain — the authenticated probe of platform.md §9.5: proves a
 * credential works and shows the identity the server derived from it.
 */
import { Hono } from "hono";
import { requireTenant } from "../../auth/middleware";
import type { AppEnv } from "../../http/context";
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
