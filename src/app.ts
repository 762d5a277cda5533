/**
 * The Hono app: cross-cutting middleware (request id, logging, CORS, body cap, error shapes) and
 * the feature routes that the configuration switches on.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "./config";
import { governanceRoutes } from "./features/governance/routes";
import { healthRoutes } from "./features/health/routes";
import { registerRoutes } from "./features/register/routes";
import type { AppEnv } from "./http/context";
import { errorA } from "./http/errors";
import { createLogger } from "./http/log";

/** No route accepts more; routes with smaller limits check their own first. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "X-License-Token",
  "X-Axonflow-Client",
  "X-User-Token",
  "X-User-Email",
  "X-Session-Id",
  "X-Client-ID",
  "X-Tenant-ID",
  "X-Axonflow-PEP-Handshake",
  "Mcp-Session-Id",
  "MCP-Protocol-Version",
  "Idempotency-Key",
];

const EXPOSED_HEADERS = [
  "Retry-After",
  "X-Request-Id",
  "X-Axonflow-Tier-Limit",
  "X-Axonflow-Upgrade-URL",
  "X-Axonflow-Upgrade-Hint",
  "X-Axonflow-License-Status",
  "Mcp-Session-Id",
];

export function buildApp(config: Config): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId({ generator: () => crypto.randomUUID() }));
  app.use(async (c, next) => {
    const started = Date.now();
    c.set("config", config);
    c.set("log", createLogger({ requestId: c.var.requestId }));
    c.set("cost", { doCalls: 0, dbQueries: 0 });
    await next();
    if (config.AXONFLOW_EXPOSE_REQUEST_COST) {
      c.header("X-Axonflow-Request-Cost", `do=${c.var.cost.doCalls}; db=${c.var.cost.dbQueries}`);
    }
    c.var.log.log("info", "request", {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  });
  app.use(
    cors({
      origin: "*",
      allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }),
  );
  app.use(
    bodyLimit({
      maxSize: MAX_REQUEST_BYTES,
      onError: (c) => errorA(c, 413, "Request body too large"),
    }),
  );

  app.route("/", healthRoutes([]));
  if (config.COMMUNITY_SAAS_REGISTRATION_ENABLED) app.route("/", registerRoutes());
  app.route("/", governanceRoutes());

  app.notFound((c) => errorA(c, 404, "Not found"));
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      return errorA(c, error.status as ContentfulStatusCode, error.message || "Bad request");
    }
    c.var.log?.log("error", "unhandled_error", {
      name: error.name,
      error: error.message,
      route: c.req.routePath,
    });
    return errorA(c, 500, "Internal server error");
  });
  return app;
}
