/**
 * The orchestrator's own routes (platform.md §9.4; the reference agent's proxy prefixes): requests
 * under these prefixes are authenticated, counted against the daily quota and forwarded to
 * `AXONFLOW_ORCHESTRATOR_URL` with the identity derived from the credential, or answer 503
 * `{"success":false,"error":"orchestrator not configured"}` without one (decisions.md "Shape").
 *
 * The reference agent proxies more prefixes than these; the edge serves the rest natively, so they
 * are deliberately absent here: /api/v1/audit, /api/v1/overrides, /api/v1/decisions,
 * /api/v1/connectors, /api/v1/dynamic-policies, /api/v1/static-policies and
 * /api/v1/mcp/evaluate-policies. Each prefix accepts the methods the reference's proxy accepts
 * for it; any other method answers 405 before authentication, like every route of this edge.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { readBodyText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { errorA } from "../../http/errors";
import { authResponses, basicAuth, createRoute, ErrorA, ErrorO, jsonResponse, type RouteDoc } from "../../http/openapi";
import { forwardToOrchestrator } from "../../http/orchestrator";
import { methodNotAllowed } from "../../http/routing";

/** The Worker's own cap (app.ts); read here too so the forwarded text is bounded whatever the app does. */
const MAX_BODY_BYTES = 1024 * 1024;

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** The reference's "all" set: its proxy never forwards PATCH. */
const ANY: readonly Method[] = ["GET", "POST", "PUT", "DELETE"];
const READ_WRITE: readonly Method[] = ["GET", "POST"];

interface ForwardedPrefix {
  prefix: string;
  methods: readonly Method[];
  /** Also forward everything below the prefix (`/prefix/*`). */
  below: boolean;
  /** What the orchestrator does there, for the API reference. */
  what: string;
}

/** Every forwarded prefix, with the methods the reference's proxy accepts for it. */
export const FORWARDED_PREFIXES: readonly ForwardedPrefix[] = [
  { prefix: "/api/v1/process", methods: ["POST"], below: false, what: "process a query with the orchestrator's LLM" },
  { prefix: "/api/v1/cost", methods: ANY, below: true, what: "cost controls" },
  { prefix: "/api/v1/budgets", methods: ANY, below: true, what: "budgets" },
  { prefix: "/api/v1/usage", methods: READ_WRITE, below: true, what: "LLM usage" },
  { prefix: "/api/v1/pricing", methods: ["GET"], below: false, what: "model pricing" },
  { prefix: "/api/v1/plans", methods: ANY, below: true, what: "multi-agent plans: steps, approvals, estimates" },
  { prefix: "/api/v1/plan", methods: ANY, below: true, what: "multi-agent planning and plan execution" },
  { prefix: "/api/v1/executions", methods: READ_WRITE, below: true, what: "execution replay" },
  { prefix: "/api/v1/unified/executions", methods: READ_WRITE, below: true, what: "unified execution tracking" },
  { prefix: "/api/v1/llm-providers", methods: ANY, below: true, what: "LLM provider configuration" },
  { prefix: "/api/v1/policies", methods: ANY, below: true, what: "orchestrator policies" },
  { prefix: "/api/v1/evidence", methods: READ_WRITE, below: true, what: "compliance evidence export" },
  { prefix: "/api/v1/workflows", methods: ANY, below: true, what: "workflow control plane" },
  { prefix: "/api/v1/webhooks", methods: ANY, below: true, what: "webhooks" },
  { prefix: "/api/v1/media-governance", methods: ["GET", "PUT"], below: true, what: "media governance configuration" },
  { prefix: "/api/v1/rbi", methods: ANY, below: true, what: "RBI compliance module" },
  { prefix: "/api/v1/sebi", methods: ANY, below: true, what: "SEBI compliance module" },
  { prefix: "/api/v1/masfeat", methods: ANY, below: true, what: "MAS FEAT compliance module" },
];

/** The Hono paths of a prefix: itself, then everything below it when it forwards sub-paths. */
const honoPaths = ({ prefix, below }: ForwardedPrefix) => (below ? [prefix, `${prefix}/*`] : [prefix]);

/** Relays the request; the body (bounded, as text) only for methods that carry one. */
async function forward(c: Context<AppEnv>): Promise<Response> {
  // HEAD reaches GET handlers; neither has a body to pass on.
  if (c.req.method === "GET" || c.req.method === "HEAD") return forwardToOrchestrator(c);
  const body = await readBodyText(c, MAX_BODY_BYTES);
  if (body.kind === "too_large") return errorA(c, 413, "Request body too large");
  if (body.kind === "read_error") return errorA(c, 400, "Failed to read request body");
  return forwardToOrchestrator(c, body.text);
}

/** The forwarding routes (Basic auth, daily quota counted). */
export function orchestratorRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const forwarded of FORWARDED_PREFIXES) {
    // `/prefix/*` would match `/prefix` too; the exact path comes first so its own 405 answers it.
    for (const path of honoPaths(forwarded)) {
      app.on([...forwarded.methods], path, requireTenant(), forward);
      methodNotAllowed(app, path, forwarded.methods);
    }
  }
  return app;
}

const restParam = z.object({
  rest: z.string().describe("The rest of the path, slashes included, passed on unchanged"),
});

const forwardedResponses = {
  200: { description: "The orchestrator's answer (status, Content-Type and body relayed)" },
  ...authResponses,
  413: jsonResponse(ErrorA, "Request body too large (over 1 MiB)"),
  502: jsonResponse(ErrorO, "orchestrator unavailable"),
  503: jsonResponse(
    z.union([ErrorO, authResponses[503].content["application/json"].schema]),
    "orchestrator not configured, or the tenant gate is unavailable",
  ),
};

export const orchestratorRouteDocs: RouteDoc[] = FORWARDED_PREFIXES.flatMap((forwarded) =>
  honoPaths(forwarded).flatMap((path) => {
    const below = path.endsWith("/*");
    return forwarded.methods.map((method) =>
      createRoute({
        method: method.toLowerCase() as Lowercase<Method>,
        path: below ? `${forwarded.prefix}/{rest}` : path,
        summary: `Forwarded to the orchestrator: ${forwarded.what}${below ? " (sub-paths)" : ""}`,
        tags: ["Orchestrator"],
        security: basicAuth,
        request: {
          ...(below ? { params: restParam } : {}),
          ...(method === "GET" ? {} : { body: { content: { "application/json": { schema: z.unknown() } } } }),
        },
        responses: forwardedResponses,
      }),
    );
  }),
);
