/**
 * POST /api/v1/register — tenant self-registration (platform.md §1.1). Check order:
 * method → registration switch → database → Content-Type → per-IP budget (shared with recovery) →
 * body size → JSON → fields → email cap.
 */
import { Hono } from "hono";
import { z } from "zod";
import { insertWithFreshTenantId, mintTenantCredential, TENANT_ID_TAKEN } from "../../auth/new-tenant";
import { isDatabaseUnavailable } from "../../db/client";
import { parseJsonText, readBodyText } from "../../http/body";
import { clientIp } from "../../http/client-ip";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { errorA } from "../../http/errors";
import { errorMessage, maskEmail } from "../../http/log";
import { createRoute, ErrorA, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { invalidateTenantGate } from "../../limits/gate-client";
import { consumeIpBudget, REGISTER_RECOVER_BUDGET } from "../../limits/ip-limiter";
import { REGISTRATION } from "../../tiers";
import { rfc3339 } from "../../time";
import { registrationNote } from "./note";
import { REGISTER_MESSAGES as M, MAX_BODY_BYTES, type RegisterInput, registerBody } from "./schema";

type Outcome = "created" | "email_cap_reached" | "tenant_id_taken";

export function registerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/register", requireDatabase, async (c) => {
    const contentType = c.req.header("Content-Type");
    if (contentType && !contentType.trim().toLowerCase().startsWith("application/json")) {
      return errorA(c, 415, M.unsupportedMediaType);
    }

    const budget = await consumeIpBudget(c.env, REGISTER_RECOVER_BUDGET, clientIp(c));
    if (!budget.allowed) {
      return errorA(c, 429, M.rateLimited, { "Retry-After": String(budget.retryAfterSeconds) });
    }

    const body = await readBodyText(c, MAX_BODY_BYTES);
    if (body.kind === "too_large") return errorA(c, 413, M.tooLarge);
    if (body.kind === "read_error") return errorA(c, 400, M.readError);
    const json = parseJsonText(body.text);
    if (json.kind === "invalid") return errorA(c, 400, M.invalidJson);
    const parsed = registerBody.safeParse(json.kind === "ok" ? json.value : null);
    if (!parsed.success) {
      const custom = parsed.error.issues.find((issue) => issue.code === "custom");
      return errorA(c, 400, custom?.message ?? M.invalidJson);
    }
    const input: RegisterInput = parsed.data;

    const { secret, secretHash, secretPrefix, expiresAt } = await mintTenantCredential(
      c.var.config.AXONFLOW_SECRET_PEPPER,
    );

    let tenantId: string;
    let outcome: Outcome;
    try {
      ({ tenantId, outcome } = await insertWithFreshTenantId(input.tenantPrefix, async (id) => {
        const rows = await c.var.db.query<{ outcome: Outcome }>(
          "select public.csaas_register_tenant($1, $2, $3, $4, $5, $6, $7) as outcome",
          [
            id,
            secretHash,
            secretPrefix,
            input.label,
            expiresAt.toISOString(),
            input.email,
            REGISTRATION.maxActivePerEmail,
          ],
        );
        return rows[0]?.outcome ?? TENANT_ID_TAKEN;
      }));
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error; // withRequestDatabase answers 503
      c.var.log.log("error", "registration_failed", { error: errorMessage(error) });
      return errorA(c, 500, M.createFailed);
    }
    if (outcome === "email_cap_reached") {
      c.var.log.log("info", "registration_email_cap", { email: input.email ? maskEmail(input.email) : undefined });
      return errorA(c, 409, M.emailCap);
    }
    if (outcome !== "created") {
      c.var.log.log("error", "registration_failed", { error: "tenant id collisions exhausted" });
      return errorA(c, 500, M.createFailed);
    }

    // The gate caches "no such tenant" for ≤ 60 s; a lookup of this id before it existed must not lock it out.
    c.var.cost.doCalls++;
    if (!(await invalidateTenantGate(c.env, tenantId)))
      c.var.log.log("warn", "tenant_gate_invalidate_failed", { tenantId });
    c.var.log.log("info", "tenant_registered", { tenantId, withEmail: input.email !== null });
    return c.json(
      {
        tenant_id: tenantId,
        secret,
        secret_prefix: secretPrefix,
        expires_at: rfc3339(expiresAt),
        endpoint: c.var.config.AXONFLOW_PUBLIC_ENDPOINT,
        note: registrationNote(),
      },
      201,
    );
  });

  methodNotAllowed(app, "/api/v1/register", ["POST"], M.methodNotAllowed);
  return app;
}

/** The 201 registration bundle (platform.md §1.1). */
export const RegistrationBody = z.object({
  tenant_id: z.string(),
  secret: z.string(),
  secret_prefix: z.string(),
  expires_at: z.string(),
  endpoint: z.string(),
  note: z.string(),
});

export const registerRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/register",
    summary: "Register a Community-SaaS tenant (an empty body is accepted)",
    tags: ["Tenants"],
    request: {
      body: {
        required: false,
        content: {
          "application/json": {
            schema: z.object({
              label: z.string().max(255).optional(),
              email: z.string().optional(),
              internal_tenant_id_prefix: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: jsonResponse(RegistrationBody, "Created; the secret is shown only here"),
      400: jsonResponse(ErrorA, "Invalid JSON, label too long, unsupported prefix, invalid email"),
      405: jsonResponse(ErrorA, "Not POST"),
      409: jsonResponse(ErrorA, "Three active tenants already claim the email"),
      413: jsonResponse(ErrorA, "Body over 1024 bytes"),
      415: jsonResponse(ErrorA, "Content-Type other than application/json"),
      429: jsonResponse(ErrorA, "5 registrations per IP per hour (shared with recovery)"),
      503: jsonResponse(ErrorA, "Database unavailable"),
    },
  }),
];
