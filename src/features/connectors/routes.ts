/**
 * The connector catalogue (platform.md §9.4): `GET /api/v1/connectors` and
 * `GET /api/v1/connectors/{id}`, served at the edge from a static list instead of the
 * orchestrator's registry. This edge installs no connectors, so every entry is `installed: false`
 * and carries no `healthy` / `last_check` (the reference omits both for connectors it has not
 * installed). Both routes count against the daily quota, as the reference's proxied call does.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import type { AppEnv } from "../../http/context";
import { errorA } from "../../http/errors";
import { authResponses, basicAuth, createRoute, ErrorA, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { CONNECTORS, type ConnectorMetadata } from "./catalogue";

/** An entry as the wire shows it: the metadata, then the caller's installation state. */
const withState = (connector: ConnectorMetadata) => ({ ...connector, installed: false });

/** Filters the reference does not have: `category` (case-insensitive) and `search` over id, name, description, tags. */
function matches(connector: ConnectorMetadata, category: string | undefined, search: string | undefined): boolean {
  if (category && connector.category.toLowerCase() !== category) return false;
  if (!search) return true;
  const haystack = [connector.id, connector.name, connector.description, ...connector.tags];
  return haystack.some((text) => text.toLowerCase().includes(search));
}

const filterValue = (c: Context<AppEnv>, name: string) => c.req.query(name)?.trim().toLowerCase() || undefined;

/** The catalogue routes (Basic auth, daily quota counted; no database). */
export function connectorRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/connectors", requireTenant(), (c) => {
    const category = filterValue(c, "category");
    const search = filterValue(c, "search");
    const connectors = CONNECTORS.filter((connector) => matches(connector, category, search)).map(withState);
    return c.json({ connectors, total: connectors.length });
  });

  app.get("/api/v1/connectors/:id", requireTenant(), (c) => {
    const connector = CONNECTORS.find((entry) => entry.id === c.req.param("id"));
    // The reference answers Go's plain-text `Connector not found\n` here; every error of this edge
    // is JSON (shape A), a deliberate difference.
    if (!connector) return errorA(c, 404, "Connector not found");
    return c.json(withState(connector));
  });

  methodNotAllowed(app, "/api/v1/connectors", ["GET"]);
  methodNotAllowed(app, "/api/v1/connectors/:id", ["GET"]);
  return app;
}

const ConnectorField = z.object({
  default: z.union([z.string(), z.number()]).optional(),
  description: z.string(),
  enum: z.array(z.string()).optional(),
  type: z.enum(["string", "number", "object"]),
});

/** A catalogue entry on the wire. */
export const ConnectorEntry = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  version: z.string(),
  description: z.string(),
  category: z.string(),
  icon: z.string(),
  tags: z.array(z.string()),
  capabilities: z.array(z.string()),
  config_schema: z.object({
    credentials: z.record(z.string(), ConnectorField),
    properties: z.record(z.string(), ConnectorField),
    required: z.array(z.string()),
    type: z.literal("object"),
  }),
  installed: z.boolean(),
});

const listQuery = z.object({
  category: z.string().optional().describe("Only this category (case-insensitive), e.g. Database"),
  search: z.string().optional().describe("Substring of the id, name, description or a tag (case-insensitive)"),
});

export const connectorRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: "/api/v1/connectors",
    summary: "The connector catalogue (none installed on this edge)",
    tags: ["Connectors"],
    security: basicAuth,
    request: { query: listQuery },
    responses: {
      200: jsonResponse(z.object({ connectors: z.array(ConnectorEntry), total: z.number().int() }), "The catalogue"),
      ...authResponses,
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/connectors/{id}",
    summary: "One catalogue entry",
    tags: ["Connectors"],
    security: basicAuth,
    request: { params: z.object({ id: z.string().describe("Connector id, e.g. postgresql") }) },
    responses: {
      200: jsonResponse(ConnectorEntry, "The entry"),
      ...authResponses,
      404: jsonResponse(ErrorA, "Connector not found"),
    },
  }),
];
