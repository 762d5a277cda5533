/**
 * /api/v1/static-policies (platform.md §9.5): the system policies (read-only) and the tenant's own
 * pattern policies; POST /api/v1/static-policies/test tries a pattern; POST /api/policies/test runs
 * a query through the engine (the reference's authenticated probe). Shape-A errors with the
 * reference's messages; the tier's active-policy cap answers the 403 `active_policies` envelope.
 * Every write invalidates the tenant's gate, so the next check evaluates the new rows.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { withOrgScope } from "../../db/scope";
import { governedCall } from "../../governance/call";
import { decideRequest } from "../../governance/checks";
import { actorOf } from "../../governance/overrides";
import { policyCapExceeded } from "../../governance/policy-cap";
import {
  createStaticPolicyBody,
  deleteStaticPolicy,
  findSystemPolicy,
  findTenantPolicy,
  insertStaticPolicy,
  listStaticPolicies,
  STATIC_MESSAGES,
  systemView,
  tenantView,
  testPattern,
  updateStaticPolicy,
  updateStaticPolicyBody,
  validateCreate,
} from "../../governance/static-policies";
import { parseJsonText, readBodyText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { errorA, errorB } from "../../http/errors";
import {
  authResponses,
  basicAuth,
  createRoute,
  ErrorA,
  ErrorB,
  jsonResponse,
  LimitEnvelope,
  type RouteDoc,
} from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import type { LimitResponse } from "../../limits/envelopes";
import { restLimitResponse } from "../../limits/envelopes";
import { invalidateTenantGate } from "../../limits/gate-client";

const MAX_BODY_BYTES = 64 * 1024;

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

async function body<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<Parsed<T>> {
  const read = await readBodyText(c, MAX_BODY_BYTES);
  if (read.kind === "too_large") return { ok: false, response: errorA(c, 413, "Request body too large") };
  if (read.kind !== "ok") return { ok: false, response: errorA(c, 400, "Invalid request body: unreadable") };
  const json = parseJsonText(read.text);
  if (json.kind !== "ok") return { ok: false, response: errorA(c, 400, "Invalid request body: invalid JSON") };
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      response: errorA(c, 400, `Invalid request body: ${issue?.path.join(".") || "body"}: ${issue?.message}`),
    };
  }
  return { ok: true, value: parsed.data };
}

const actor = (c: Context<AppEnv>) => actorOf(c.req.header("X-User-Email")?.trim() || undefined, c.var.identity);

/** A write's outcome: the answer, or the cap envelope that stopped it. */
type Written = { response: Response } | { cap: LimitResponse };

export function staticPolicyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = [requireTenant(), requireDatabase] as const;
  const scoped = <T>(c: Context<AppEnv>, fn: Parameters<typeof withOrgScope<T>>[2]) =>
    withOrgScope(c.var.db, c.var.identity.orgId, fn);
  const changed = (c: Context<AppEnv>) => invalidateTenantGate(c.env, c.var.identity.tenantId);
  const send = (written: Written) => ("cap" in written ? restLimitResponse(written.cap) : written.response);

  app.get("/api/v1/static-policies", ...guard, async (c) => {
    const page = Math.max(1, Number.parseInt(c.req.query("page") ?? "1", 10) || 1);
    const requested = Number.parseInt(c.req.query("limit") ?? c.req.query("page_size") ?? "20", 10) || 20;
    const enabled = c.req.query("enabled");
    const tier = c.req.query("tier");
    return c.json(
      await scoped(c, (tx) =>
        listStaticPolicies(tx, {
          page,
          limit: Math.min(100, Math.max(1, requested)),
          category: c.req.query("category") || undefined,
          tier: tier === "system" || tier === "tenant" ? tier : undefined,
          enabled: enabled === "true" ? true : enabled === "false" ? false : undefined,
          search: c.req.query("search") || undefined,
        }),
      ),
    );
  });

  app.post("/api/v1/static-policies", ...guard, async (c) => {
    const parsed = await body(c, createStaticPolicyBody);
    if (!parsed.ok) return parsed.response;
    const input = parsed.value;
    const problem = validateCreate(input);
    if (problem) return errorA(c, problem.status, problem.message);
    const written = await scoped<Written>(c, async (tx) => {
      if (input.enabled) {
        const cap = await policyCapExceeded(tx, c.var.identity);
        if (cap) return { cap };
      }
      const row = await insertStaticPolicy(tx, c.var.identity, actor(c), input);
      return { response: c.json(tenantView(row), 201) };
    });
    if ("response" in written) await changed(c);
    return send(written);
  });

  app.post("/api/v1/static-policies/test", ...guard, async (c) => {
    const parsed = await body(
      c,
      z.object({
        pattern: z.string().optional(),
        inputs: z.array(z.string()).max(100).optional(),
        input: z.string().optional(),
      }),
    );
    if (!parsed.ok) return parsed.response;
    const { pattern, inputs, input } = parsed.value;
    if (!pattern) return errorA(c, 400, STATIC_MESSAGES.patternRequired);
    return c.json(testPattern(pattern, inputs ?? (input === undefined ? [] : [input])));
  });

  app.get("/api/v1/static-policies/:id", ...guard, async (c) => {
    const id = c.req.param("id");
    const system = findSystemPolicy(id);
    if (system) return c.json(systemView(system));
    const row = await scoped(c, (tx) => findTenantPolicy(tx, id));
    return row ? c.json(tenantView(row)) : errorA(c, 404, STATIC_MESSAGES.notFound);
  });

  const update =
    (schema: z.ZodType<z.infer<typeof updateStaticPolicyBody>>, systemMessage: string) =>
    async (c: Context<AppEnv>) => {
      const id = c.req.param("id") ?? "";
      if (findSystemPolicy(id)) return errorA(c, 403, systemMessage);
      const parsed = await body(c, schema);
      if (!parsed.ok) return parsed.response;
      const written = await scoped<Written>(c, async (tx) => {
        const row = await findTenantPolicy(tx, id);
        if (!row) return { response: errorA(c, 404, STATIC_MESSAGES.notFound) };
        if (parsed.value.enabled === true && !row.enabled) {
          const cap = await policyCapExceeded(tx, c.var.identity);
          if (cap) return { cap };
        }
        const updated = await updateStaticPolicy(tx, row, actor(c), parsed.value);
        if (!updated.ok) return { response: errorA(c, updated.problem.status, updated.problem.message) };
        return { response: c.json(tenantView(updated.value)) };
      });
      if ("response" in written && written.response.status === 200) await changed(c);
      return send(written);
    };
  app.put("/api/v1/static-policies/:id", ...guard, update(updateStaticPolicyBody, STATIC_MESSAGES.systemModify));
  app.patch(
    "/api/v1/static-policies/:id",
    ...guard,
    update(z.object({ enabled: z.boolean() }), STATIC_MESSAGES.systemDisable),
  );

  app.delete("/api/v1/static-policies/:id", ...guard, async (c) => {
    const id = c.req.param("id");
    if (findSystemPolicy(id)) return errorA(c, 403, STATIC_MESSAGES.systemDelete);
    const deleted = await scoped(c, async (tx) => {
      const row = await findTenantPolicy(tx, id);
      if (row) await deleteStaticPolicy(tx, row, actor(c));
      return row !== undefined;
    });
    if (!deleted) return errorA(c, 404, STATIC_MESSAGES.notFound);
    await changed(c);
    return c.body(null, 204);
  });

  app.post("/api/policies/test", requireTenant({ governance: true }), async (c) => {
    const json = parseJsonText(await c.req.text());
    const parsed = z
      .object({ query: z.string() })
      .passthrough()
      .safeParse(json.kind === "ok" ? json.value : undefined);
    if (!parsed.success) return errorB(c, 400, "Invalid request body");
    const started = Date.now();
    const { evaluation } = await decideRequest(
      governedCall(c, c.var.identity, c.var.records, c.var.governance),
      { scope: "proxy_request:request", callSite: "request", requestType: "gateway_request" },
      { statement: parsed.data.query, connectorType: "" },
    );
    return c.json({
      blocked: evaluation.blocking !== undefined,
      reason: evaluation.blockReason ?? "",
      triggered_policies: evaluation.matches.map((m) => m.policy.id),
      checks_performed: ["static_policies"],
      processing_time_ms: Date.now() - started,
    });
  });

  methodNotAllowed(app, "/api/v1/static-policies", ["GET", "POST"]);
  methodNotAllowed(app, "/api/v1/static-policies/test", ["POST"]);
  methodNotAllowed(app, "/api/v1/static-policies/:id", ["GET", "PUT", "PATCH", "DELETE"]);
  methodNotAllowed(app, "/api/policies/test", ["POST"]);
  return app;
}

const StaticPolicyView = z
  .object({
    id: z.string(),
    policy_id: z.string(),
    name: z.string(),
    category: z.string(),
    tier: z.string(),
    pattern: z.string(),
    severity: z.string(),
    description: z.string().optional(),
    action: z.string(),
    priority: z.number().int(),
    enabled: z.boolean(),
    tenant_id: z.string(),
    connector_type: z.string().optional(),
    risk_level: z.string(),
    allow_override: z.boolean(),
    version: z.number().int(),
  })
  .passthrough();

const idParam = z.object({ id: z.string() });
const capOr403 = jsonResponse(
  z.union([ErrorA, LimitEnvelope]),
  "Over the tier's active-policy cap (active_policies envelope), a system policy, or a license for another tenant",
);

export const staticPolicyRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: "/api/v1/static-policies",
    summary: "System and tenant static policies, a page at a time",
    tags: ["Policies"],
    security: basicAuth,
    request: {
      query: z.object({
        page: z.string().optional(),
        limit: z.string().optional(),
        category: z.string().optional(),
        tier: z.enum(["system", "tenant"]).optional(),
        enabled: z.enum(["true", "false"]).optional(),
        search: z.string().optional(),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({
          policies: z.array(StaticPolicyView),
          pagination: z.object({
            page: z.number(),
            page_size: z.number(),
            total_items: z.number(),
            total_pages: z.number(),
          }),
        }),
        "One page",
      ),
      ...authResponses,
    },
  }),
  createRoute({
    method: "post",
    path: "/api/v1/static-policies",
    summary: "Create a tenant policy (pattern checked with RE2; created disabled unless enabled:true)",
    tags: ["Policies"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: createStaticPolicyBody } } } },
    responses: {
      201: jsonResponse(StaticPolicyView, "Created"),
      ...authResponses,
      400: jsonResponse(ErrorA, "Missing field, invalid tier/category/action/severity, invalid regex pattern"),
      403: capOr403,
      413: jsonResponse(ErrorA, "Body over 64 KiB"),
    },
  }),
  createRoute({
    method: "post",
    path: "/api/v1/static-policies/test",
    summary: "Try a pattern on inputs",
    tags: ["Policies"],
    security: basicAuth,
    request: {
      body: {
        content: {
          "application/json": {
            schema: z.object({
              pattern: z.string(),
              inputs: z.array(z.string()).optional(),
              input: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: jsonResponse(
        z.object({
          valid: z.boolean(),
          error: z.string().optional(),
          matches: z.array(z.object({ input: z.string(), matched: z.boolean() })).optional(),
          pattern: z.string(),
          inputs: z.array(z.string()),
        }),
        "The result",
      ),
      ...authResponses,
      400: jsonResponse(ErrorA, "pattern is required"),
    },
  }),
  ...(["get", "put", "patch", "delete"] as const).map((method) =>
    createRoute({
      method,
      path: "/api/v1/static-policies/{id}",
      summary: {
        get: "One policy",
        put: "Update a tenant policy",
        patch: "Enable or disable a tenant policy",
        delete: "Delete a tenant policy",
      }[method],
      tags: ["Policies"],
      security: basicAuth,
      request: {
        params: idParam,
        ...(method === "put" ? { body: { content: { "application/json": { schema: updateStaticPolicyBody } } } } : {}),
        ...(method === "patch"
          ? { body: { content: { "application/json": { schema: z.object({ enabled: z.boolean() }) } } } }
          : {}),
      },
      responses: {
        ...(method === "delete"
          ? { 204: { description: "Deleted" } }
          : { 200: jsonResponse(StaticPolicyView, "The policy") }),
        ...authResponses,
        ...(method === "put" || method === "patch" ? { 400: jsonResponse(ErrorA, "Invalid body or pattern") } : {}),
        403: capOr403,
        404: jsonResponse(ErrorA, "Policy not found"),
      },
    }),
  ),
  createRoute({
    method: "post",
    path: "/api/policies/test",
    summary: "Run a query through the policy engine (authenticated, quota-counted probe)",
    tags: ["Policies"],
    security: basicAuth,
    request: {
      body: {
        content: {
          "application/json": {
            schema: z.object({
              query: z.string(),
              user_email: z.string().optional(),
              request_type: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: jsonResponse(
        z.object({
          blocked: z.boolean(),
          reason: z.string(),
          triggered_policies: z.array(z.string()),
          checks_performed: z.array(z.string()),
          processing_time_ms: z.number(),
        }),
        "The engine's verdict",
      ),
      ...authResponses,
      400: jsonResponse(ErrorB, "Invalid request body"),
    },
  }),
];
