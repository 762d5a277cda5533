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

  app.post("/api/v1/mcp/check-input", requireTenant({ idempotent: true }), async (c) => {
    const body = await readBody(c, checkInputBody);
    if (!body.ok) return body.response;
    const { connector_type: connectorType, statement } = body.value;
    if (!connectorType) return errorB(c, 400, "connector_type is required");
    if (!statement) return errorB(c, 400, "statement is required");
    const answer = await checkInput(
      governedCall(c, c.var.identity, c.var.records),
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
