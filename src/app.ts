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
import { type Config, loadConfig } from "./config";
import { isDatabaseUnavailable } from "./db/client";
import type { Env } from "./env";
import { auditReadRouteDocs, auditReadRoutes } from "./features/audit/read-routes";
import { auditRouteDocs, auditRoutes } from "./features/audit/routes";
import { billingRouteDocs } from "./features/billing/docs";
import { checkRouteDocs, checkRoutes } from "./features/checks/routes";
import { connectorRouteDocs, connectorRoutes } from "./features/connectors/routes";
import { decisionRouteDocs, decisionRoutes } from "./features/decisions/routes";
import { docsRoutes } from "./features/docs/routes";
import { dynamicPolicyRouteDocs, dynamicPolicyRoutes } from "./features/dynamic-policies/routes";
import { erasureRouteDocs, erasureRoutes } from "./features/erasure/routes";
import { gatewayRouteDocs, gatewayRoutes } from "./features/gateway/routes";
import { governanceRouteDocs, governanceRoutes } from "./features/governance/routes";
import { capabilities } from "./features/health/capabilities";
import { healthRouteDocs, healthRoutes } from "./features/health/routes";
import { mcpRouteDocs, mcpRoutes } from "./features/mcp/routes";
import { orchestratorRouteDocs, orchestratorRoutes } from "./features/orchestrator/routes";
import { overrideRouteDocs, overrideRoutes } from "./features/overrides/routes";
import { recoveryRouteDocs, recoveryRoutes } from "./features/recovery/routes";
import { registerRouteDocs, registerRoutes } from "./features/register/routes";
import { staticPolicyRouteDocs, staticPolicyRoutes } from "./features/static-policies/routes";
import type { AppEnv } from "./http/context";
import { errorA, SERVICE_UNAVAILABLE } from "./http/errors";
import { createLogger, errorMessage } from "./http/log";
import type { RouteDoc } from "./http/openapi";

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

/**
 * The routes one Worker serves, mounted after the shared middleware: `publicSurface` (src/index.ts)
 * or `billingSurface` (src/billing-worker.ts). Each entry imports only what its routes need, which
 * keeps the Stripe SDK out of the public Worker's bundle.
 */
export interface Surface {
  mount(app: Hono<AppEnv>, config: Config, env: Env): void;
}

export function buildApp(config: Config, surface: Surface, env: Env): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId({ generator: () => crypto.randomUUID() }));
  app.use(async (c, next) => {
    const started = Date.now();
    c.set("config", config);
    c.set("log", createLogger({ requestId: c.var.requestId }));
    c.set("cost", { doCalls: 0, dbQueries: 0, deferredDoCalls: 0 });
    await next();
    if (config.AXONFLOW_EXPOSE_REQUEST_COST) {
      const { doCalls, dbQueries, deferredDoCalls } = c.var.cost;
      const deferred = deferredDoCalls > 0 ? `; deferred_do=${deferredDoCalls}` : "";
      c.header("X-Axonflow-Request-Cost", `do=${doCalls}; db=${dbQueries}${deferred}`);
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

  surface.mount(app, config, env);

  app.notFound((c) => errorA(c, 404, "Not found"));
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      return errorA(c, error.status as ContentfulStatusCode, error.message || "Bad request");
    }
    if (isDatabaseUnavailable(error)) {
      c.var.log?.log("error", "db_unavailable", { error: errorMessage(error), route: c.req.routePath });
      return errorA(c, 503, SERVICE_UNAVAILABLE);
    }
    c.var.log?.log("error", "unhandled_error", {
      name: error.name,
      error: errorMessage(error),
      route: c.req.routePath,
    });
    return errorA(c, 500, "Internal server error");
  });
  return app;
}

/** Everything but billing; `/api/v1/billing/*` goes on to the billing Worker when BILLING is bound. */
export const publicSurface: Surface = {
  mount(app, config, env) {
    const registration = config.COMMUNITY_SAAS_REGISTRATION_ENABLED;
    app.route("/", healthRoutes(capabilities({ recovery: registration })));
    app.route("/", docsRoutes(routeDocs(config, { billing: env.BILLING !== undefined })));
    if (registration) {
      app.route("/", registerRoutes());
      app.route("/", erasureRoutes());
      app.route("/", recoveryRoutes());
    }
    app.route("/", governanceRoutes());
    app.route("/", mcpRoutes());
    app.route("/", checkRoutes());
    app.route("/", auditRoutes());
    app.route("/", auditReadRoutes());
    app.route("/", gatewayRoutes());
    app.route("/", overrideRoutes());
    app.route("/", connectorRoutes());
    app.route("/", orchestratorRoutes());
    app.route("/", decisionRoutes());
    app.route("/", dynamicPolicyRoutes());
    app.route("/", staticPolicyRoutes());
    // Production routes the billing paths straight to the billing Worker; this forward serves them
    // where one host name reaches the public Worker only (local dev, tests).
    app.all("/api/v1/billing/*", (c) => (c.env.BILLING ? c.env.BILLING.fetch(c.req.raw) : errorA(c, 404, "Not found")));
  },
};

/** The declarations of every route the public Worker serves with this configuration (for /openapi.json). */
export function routeDocs(config: Config, { billing }: { billing: boolean }): RouteDoc[] {
  return [
    ...healthRouteDocs,
    ...(config.COMMUNITY_SAAS_REGISTRATION_ENABLED
      ? [...registerRouteDocs, ...recoveryRouteDocs, ...erasureRouteDocs]
      : []),
    ...governanceRouteDocs,
    ...mcpRouteDocs,
    ...checkRouteDocs,
    ...auditRouteDocs,
    ...auditReadRouteDocs,
    ...gatewayRouteDocs,
    ...overrideRouteDocs,
    ...connectorRouteDocs,
    ...orchestratorRouteDocs,
    ...decisionRouteDocs,
    ...dynamicPolicyRouteDocs,
    ...staticPolicyRouteDocs,
    ...(billing ? billingRouteDocs : []),
  ];
}

/** A Worker fetch handler for `surface`: config parsed and app built once per isolate. */
export function fetchHandler(surface: Surface): ExportedHandlerFetchHandler<Env> {
  const apps = new WeakMap<Config, Hono<AppEnv>>();
  const reported = new WeakSet<Env>();
  return (request, env, ctx) => {
    const result = loadConfig(env);
    if (!result.ok) {
      if (!reported.has(env)) {
        reported.add(env);
        createLogger().log("fatal", "config_invalid", {
          variables: result.problems.map((p) => `${p.variable}: ${p.problem}`),
        });
      }
      return Response.json({ error: { code: 503, message: SERVICE_UNAVAILABLE } }, { status: 503 });
    }
    let app = apps.get(result.config);
    if (!app) {
      app = buildApp(result.config, surface, env);
      apps.set(result.config, app);
    }
    return app.fetch(request, env, ctx);
  };
}
