/** GET /health (platform.md §9.1): no auth, no quota, no database round trip. */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/context";
import { createRoute, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { rfc3339 } from "../../time";
import { compatibility } from "./compatibility";

export interface Capability {
  name: string;
  since: string;
  description: string;
}

/** @param capabilities what the mounted features serve (each feature declares its own). */
export function healthRoutes(capabilities: readonly Capability[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", (c) => {
    const config = c.var.config;
    return c.json({
      status: "healthy",
      service: "axonflow-agent",
      tier: "Community",
      timestamp: rfc3339(new Date()),
      version: config.AXONFLOW_PLATFORM_VERSION,
      capabilities,
      ...compatibility(config.AXONFLOW_HEALTH_COMPATIBILITY),
    });
  });
  methodNotAllowed(app, "/health", ["GET", "HEAD"]);
  return app;
}

const versionMap = z.record(z.string(), z.string());

/** What GET /health answers (documented; the handler builds it). */
export const HealthBody = z.object({
  status: z.literal("healthy"),
  service: z.string(),
  tier: z.string(),
  timestamp: z.string(),
  version: z.string(),
  capabilities: z.array(z.object({ name: z.string(), since: z.string(), description: z.string() })),
  sdk_compatibility: z.object({ min_sdk_version: versionMap, recommended_sdk_version: versionMap }),
  plugin_compatibility: z.object({ min_plugin_version: versionMap, recommended_plugin_version: versionMap }),
});

export const healthRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: "/health",
    summary: "Service status, capabilities and client version floors",
    tags: ["Service"],
    responses: { 200: jsonResponse(HealthBody, "Healthy") },
  }),
];
