/**
 * GET /openapi.json (OpenAPI 3.1 of every route this Worker serves, built from the features' route
 * declarations) and GET /docs (an API reference page rendering it).
 */
import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/context";
import { createRoute, openApiDocument, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";

/** @param routes every served route's declaration (the app passes them in; features do not import each other). */
export function docsRoutes(routes: readonly RouteDoc[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const all = [...routes, ...docsRouteDocs];
  app.get("/openapi.json", (c) => c.json(openApiDocument(all, c.var.config.AXONFLOW_PLATFORM_VERSION)));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "axonflow-edge API" }));
  methodNotAllowed(app, "/openapi.json", ["GET", "HEAD"]);
  methodNotAllowed(app, "/docs", ["GET", "HEAD"]);
  return app;
}

export const docsRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tags: ["Service"],
    responses: {
      200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.object({}).passthrough() } } },
    },
  }),
  createRoute({
    method: "get",
    path: "/docs",
    summary: "API reference page",
    tags: ["Service"],
    responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } },
  }),
];
