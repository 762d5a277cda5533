/** GET /health (platform.md §9.1): no auth, no quota, no database round trip. */
import { Hono } from "hono";
import type { AppEnv } from "../../http/context";
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
