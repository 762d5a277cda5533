/**
 * POST /api/v1/audit/tool-call (platform.md §9.4): a tool execution reported by OpenClaw or an
 * SDK, stored in the tenant's audit trail. 201 `{audit_id, status, timestamp}`; a repeated
 * `Idempotency-Key` replays that answer with `Idempotent-Replayed: true`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { governedCall } from "../../governance/call";
import { recordToolCall, toolCallSchema } from "../../governance/tool-audit";
import { parseJsonText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { errorO } from "../../http/errors";
import { authResponses, basicAuth, createRoute, ErrorO, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { rfc3339 } from "../../time";

export function auditRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/audit/tool-call", requireTenant({ idempotent: true }), async (c) => {
    const json = parseJsonText(await c.req.text());
    if (json.kind !== "ok") return errorO(c, 400, "Invalid request body");
    const parsed = toolCallSchema.safeParse(json.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const missingName = issue?.path[0] === "tool_name" && (issue.code === "too_small" || issue.input === undefined);
      const field = issue?.path.join(".") || "body";
      return errorO(
        c,
        400,
        missingName ? "tool_name is required" : `Invalid request body: ${field}: ${issue?.message}`,
      );
    }
    const recorded = await recordToolCall(governedCall(c, c.var.identity, c.var.records), parsed.data);
    return c.json({ audit_id: recorded.auditId, status: "recorded", timestamp: rfc3339(recorded.timestamp) }, 201);
  });

  methodNotAllowed(app, "/api/v1/audit/tool-call", ["POST"]);
  return app;
}

export const ToolCallRecorded = z.object({
  audit_id: z.string(),
  status: z.literal("recorded"),
  timestamp: z.string(),
});

export const auditRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/audit/tool-call",
    summary: "Record a tool execution in the tenant's audit trail",
    tags: ["Audit"],
    security: basicAuth,
    request: {
      headers: z.object({ "idempotency-key": z.string().max(255).optional() }),
      body: { content: { "application/json": { schema: toolCallSchema } } },
    },
    responses: {
      201: jsonResponse(ToolCallRecorded, "Recorded (replays carry Idempotent-Replayed: true)"),
      ...authResponses,
      400: jsonResponse(ErrorO, "tool_name is required, Invalid request body"),
    },
  }),
];
