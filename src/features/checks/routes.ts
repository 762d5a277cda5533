/**
 * POST /api/v1/mcp/check-input and /api/v1/mcp/check-output (platform.md §9.3): the REST form of
 * the pre- and post-tool checks that OpenClaw and the SDKs call. 200 allows, 403 denies with the
 * same body; validation errors are shape B; `Idempotency-Key` replays the stored answer for 24 h.
 */
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { governedCall } from "../../governance/call";
import { checkInput, checkOutput } from "../../governance/checks";
import { parseJsonText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { errorB } from "../../http/errors";
import { authResponses, basicAuth, createRoute, ErrorB, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";

/** Identity fields a body may carry: empty, or the caller's own (the credential decides). */
const identityFields = {
  client_id: z.string().optional(),
  tenant_id: z.string().optional(),
  user_token: z.string().optional(),
  user_id: z.string().optional(),
  user_role: z.string().optional(),
};

const checkInputBody = z.object({
  ...identityFields,
  connector_type: z.string().max(255).optional(),
  statement: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  operation: z.string().max(64).optional(),
  content_type: z.string().max(255).optional(),
  tool: z.string().max(255).optional(),
});

const checkOutputBody = z.object({
  ...identityFields,
  connector_type: z.string().max(255).optional(),
  message: z.string().optional(),
  response_data: z.array(z.unknown()).nullish(),
  metadata: z.unknown().optional(),
  row_count: z.number().optional(),
  tool: z.string().max(255).optional(),
});

type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Parses and checks a body; wrong JSON or wrong types answer `Invalid request body` (shape B). */
async function readBody<T extends { client_id?: string; tenant_id?: string }>(
  c: Context<AppEnv>,
  schema: z.ZodType<T>,
): Promise<BodyResult<T>> {
  const json = parseJsonText(await c.req.text());
  const parsed = schema.safeParse(json.kind === "ok" ? json.value : undefined);
  if (!parsed.success) return { ok: false, response: errorB(c, 400, "Invalid request body") };
  const { tenantId } = c.var.identity;
  const foreign = [parsed.data.client_id, parsed.data.tenant_id].some((id) => id && id !== tenantId);
  if (foreign) return { ok: false, response: errorB(c, 403, "Tenant mismatch") };
  return { ok: true, value: parsed.data };
}

const status = (allowed: boolean): ContentfulStatusCode => (allowed ? 200 : 403);

export function checkRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/mcp/check-input", requireTenant({ idempotent: true, governance: true }), async (c) => {
    const body = await readBody(c, checkInputBody);
    if (!body.ok) return body.response;
    const { connector_type: connectorType, statement } = body.value;
    if (!connectorType) return errorB(c, 400, "connector_type is required");
    if (!statement) return errorB(c, 400, "statement is required");
    const answer = await checkInput(
      governedCall(c, c.var.identity, c.var.records, c.var.governance),
      {
        connectorType,
        statement,
        operation: body.value.operation || "execute",
        parameters: body.value.parameters ?? undefined,
      },
      "rest",
    );
    return c.json(answer.body, status(answer.allowed));
  });

  app.post("/api/v1/mcp/check-output", requireTenant({ idempotent: true }), async (c) => {
    const body = await readBody(c, checkOutputBody);
    if (!body.ok) return body.response;
    const { connector_type: connectorType, message } = body.value;
    const responseData = body.value.response_data?.length ? body.value.response_data : undefined;
    if (!connectorType) return errorB(c, 400, "connector_type is required");
    if (!responseData && !message) return errorB(c, 400, "response_data or message is required");
    const answer = await checkOutput(
      governedCall(c, c.var.identity, c.var.records),
      { connectorType, message: message || undefined, responseData },
      "rest",
    );
    return c.json(answer.body, status(answer.allowed));
  });

  for (const path of ["/api/v1/mcp/check-input", "/api/v1/mcp/check-output"]) methodNotAllowed(app, path, ["POST"]);
  return app;
}

const PolicyMatch = z.object({
  policy_id: z.string(),
  policy_name: z.string(),
  risk_level: z.string(),
  allow_override: z.boolean(),
  policy_version: z.number().int(),
});

/** check-input's answer: the same body with 200 (allowed) or 403 (blocked). */
export const CheckInputAnswer = z.object({
  allowed: z.boolean(),
  block_reason: z.string().optional(),
  policies_evaluated: z.number().int(),
  decision_id: z.string(),
  risk_level: z.string().optional(),
  policy_matches: z.array(PolicyMatch).optional(),
  override_available: z.boolean().optional(),
  override_existing_id: z.string().optional(),
  redacted: z.boolean().optional(),
  redacted_statement: z.string().optional(),
  redaction_evaluated: z.boolean(),
});

export const CheckOutputAnswer = z.object({
  allowed: z.boolean(),
  block_reason: z.string().optional(),
  redacted_data: z.union([z.string(), z.array(z.unknown())]).optional(),
  policies_evaluated: z.number().int(),
  exfiltration_info: z
    .object({
      rows_returned: z.number().int(),
      row_limit: z.number().int(),
      bytes_returned: z.number().int(),
      byte_limit: z.number().int(),
      within_limits: z.boolean(),
    })
    .optional(),
  decision_id: z.string(),
  redaction_evaluated: z.boolean().optional(),
});

const idempotencyHeader = z.object({ "idempotency-key": z.string().max(255).optional() });

export const checkRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/mcp/check-input",
    summary: "Pre-tool check (OpenClaw, SDKs)",
    tags: ["Governance"],
    security: basicAuth,
    request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: checkInputBody } } } },
    responses: {
      200: jsonResponse(CheckInputAnswer, "Allowed"),
      ...authResponses,
      400: jsonResponse(ErrorB, "connector_type is required, statement is required, Invalid request body"),
      403: jsonResponse(z.union([CheckInputAnswer, ErrorB]), "Blocked (the answer body), or Tenant mismatch (shape B)"),
      422: jsonResponse(
        z.object({ error: z.object({ code: z.number(), message: z.string() }) }),
        "Idempotency-Key reused for another request",
      ),
    },
  }),
  createRoute({
    method: "post",
    path: "/api/v1/mcp/check-output",
    summary: "Post-tool check: PII masked, exfiltration limits",
    tags: ["Governance"],
    security: basicAuth,
    request: { headers: idempotencyHeader, body: { content: { "application/json": { schema: checkOutputBody } } } },
    responses: {
      200: jsonResponse(CheckOutputAnswer, "Allowed (redacted_data when something was masked)"),
      ...authResponses,
      400: jsonResponse(
        ErrorB,
        "connector_type is required, response_data or message is required, Invalid request body",
      ),
      403: jsonResponse(
        z.union([CheckOutputAnswer, ErrorB]),
        "Blocked (policy or exfiltration limit), or Tenant mismatch",
      ),
    },
  }),
];
