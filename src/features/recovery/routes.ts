/**
 * Credential recovery by magic link (platform.md §6): POST /api/v1/recover mails a single-use
 * 15-minute link; GET /api/v1/recover/verify shows a confirm page without changing anything;
 * POST /api/v1/recover/verify consumes the link and answers a new tenant's credentials. The old
 * tenant keeps working. Only served while registration is enabled.
 *
 * Enumeration safety: after validation, every request for a well-formed email spends the IP
 * budget, mints and hashes a token and makes the same single database call whether or not the
 * email owns a tenant; mail goes out after the response. Status, body and timing are the same.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { insertWithFreshTenantId, mintTenantCredential } from "../../auth/new-tenant";
import { randomHex, sha256Hex } from "../../crypto";
import { isDatabaseUnavailable } from "../../db/client";
import { retryOnConflict } from "../../db/scope";
import { readBodyText, readJsonBody } from "../../http/body";
import { clientIp } from "../../http/client-ip";
import type { AppEnv } from "../../http/context";
import { requireDatabase, withRequestDatabase } from "../../http/database";
import { looksLikeEmail } from "../../http/email";
import { errorA, SERVICE_UNAVAILABLE } from "../../http/errors";
import { errorMessage, maskEmail } from "../../http/log";
import { createRoute, ErrorA, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { invalidateTenantGate } from "../../limits/gate-client";
import { consumeIpBudget, REGISTER_RECOVER_BUDGET } from "../../limits/ip-limiter";
import { sendMailLater } from "../../mail/background";
import { recoveredEmail, recoveryEmail } from "../../mail/recovery-email";
import { REGISTRATION } from "../../tiers";
import { rfc3339 } from "../../time";
import {
  RECOVERY_MESSAGES as M,
  MAX_BODY_BYTES,
  MAX_TOKENS_PER_EMAIL_HOUR,
  RECOVERY_PAGE_MESSAGES as P,
  TOKEN_TTL_MS,
} from "./messages";
import { confirmPage, errorPage, PAGE_HEADERS } from "./pages";

/** A JSON body the reference's decoder accepts: an object (or null) whose fields have the right types. */
const recoverBody = z.object({ email: z.string().nullish() }).nullable();
const verifyBody = z.object({ token: z.string().nullish() }).nullable();

type ConsumeOutcome = "recovered" | "unknown" | "consumed" | "expired" | "email_cap_reached" | "tenant_id_taken";

export function recoveryRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/recover", requireDatabase, async (c) => {
    const body = await readJsonBody(c, recoverBody, MAX_BODY_BYTES, {
      tooLarge: M.requestTooLarge,
      readError: M.readError,
      invalidJson: M.invalidJson,
    });
    if (body instanceof Response) return body;
    const email = (body.value?.email ?? "").trim().toLowerCase();
    if (!looksLikeEmail(email)) return errorA(c, 400, M.invalidEmail);

    const generic = () => c.json({ message: M.generic }, 202);
    const ip = clientIp(c);
    const budget = await consumeIpBudget(c.env, REGISTER_RECOVER_BUDGET, ip);
    if (!budget.allowed) {
      c.var.log.log("info", "recovery_ip_limited", {});
      return generic();
    }

    const token = randomHex(32);
    const [tokenHash, ipHash] = await Promise.all([sha256Hex(token), sha256Hex(ip)]);
    let outcome: string;
    try {
      const rows = await c.var.db.query<{ outcome: string }>(
        "select public.csaas_recovery_request($1, $2, $3, $4, $5) as outcome",
        [email, tokenHash, ipHash, new Date(Date.now() + TOKEN_TTL_MS).toISOString(), MAX_TOKENS_PER_EMAIL_HOUR],
      );
      outcome = rows[0]?.outcome ?? "no_tenant";
    } catch (error) {
      c.var.log.log("error", "recovery_request_failed", { error: errorMessage(error) });
      return generic();
    }
    c.var.log.log("info", "recovery_requested", { outcome, email: maskEmail(email) });
    if (outcome === "issued") {
      const base = c.var.config.AXONFLOW_RECOVERY_BASE_URL;
      const link = `${base}/api/v1/recover/verify?token=${encodeURIComponent(token)}`;
      sendMailLater(
        c,
        recoveryEmail({ from: c.var.config.AXONFLOW_RECOVERY_FROM_EMAIL, to: email, link }),
        "recovery_email",
        { email: maskEmail(email) },
      );
    }
    return generic();
  });
  methodNotAllowed(app, "/api/v1/recover", ["POST"], M.requestMethodNotAllowed);

  app.get("/api/v1/recover/verify", async (c) => {
    const html = (status: 200 | 400 | 401 | 500 | 503, content: string) => c.body(content, status, PAGE_HEADERS);
    const response = await withRequestDatabase(
      c,
      async (db) => {
        const token = c.req.query("token") ?? "";
        if (!token) return html(400, errorPage(P.missingToken));
        let rows: { email: string; consumed: boolean; expired: boolean }[];
        try {
          rows = await db.query("select * from public.csaas_recovery_lookup($1)", [await sha256Hex(token)]);
        } catch (error) {
          c.var.log.log("error", "recovery_lookup_failed", { error: errorMessage(error) });
          return html(500, errorPage(P.lookupFailed));
        }
        const row = rows[0];
        if (!row) return html(401, errorPage(P.unknown));
        if (row.consumed) return html(401, errorPage(P.consumed));
        if (row.expired) return html(401, errorPage(P.expired));
        return html(200, confirmPage(row.email, token));
      },
      () => html(503, errorPage(SERVICE_UNAVAILABLE)),
    );
    return response as Response;
  });

  app.post("/api/v1/recover/verify", requireDatabase, async (c) => {
    const token = await readVerifyToken(c);
    if (token instanceof Response) return token;
    if (!token) return errorA(c, 400, M.missingToken);
    return consume(c, token);
  });
  methodNotAllowed(app, "/api/v1/recover/verify", ["GET", "POST"], M.verifyMethodNotAllowed);

  return app;
}

/** The token of POST /api/v1/recover/verify from a form or JSON body (§6.3), or the error answer. */
async function readVerifyToken(c: Context<AppEnv>): Promise<string | Response> {
  const contentType = (c.req.header("Content-Type") ?? "").trim().toLowerCase();
  const isForm = contentType.startsWith("application/x-www-form-urlencoded");
  if (!isForm && contentType !== "" && !contentType.startsWith("application/json")) {
    return errorA(c, 415, M.unsupportedMediaType);
  }
  if (isForm) {
    const body = await readBodyText(c, MAX_BODY_BYTES);
    if (body.kind === "too_large") return errorA(c, 413, M.tooLarge);
    if (body.kind === "read_error") return errorA(c, 400, M.formParse);
    return (new URLSearchParams(body.text).get("token") ?? "").trim();
  }
  // An empty JSON body is allowed here: it then lacks the token (§6.3).
  const body = await readJsonBody(
    c,
    verifyBody,
    MAX_BODY_BYTES,
    { tooLarge: M.tooLarge, readError: M.readError, invalidJson: M.invalidJson },
    null,
  );
  if (body instanceof Response) return body;
  return (body.value?.token ?? "").trim();
}

/** Consumes the link and creates the new tenant in one transaction, retrying id collisions. */
async function consume(c: Context<AppEnv>, token: string): Promise<Response> {
  const { config, log, db } = c.var;
  const credential = await mintTenantCredential(config.AXONFLOW_SECRET_PEPPER);
  const tokenHash = await sha256Hex(token);
  let tenantId: string;
  let outcome: ConsumeOutcome;
  let email = "";
  try {
    ({ tenantId, outcome } = await insertWithFreshTenantId("cs_", async (id) => {
      const rows = await retryOnConflict(() =>
        db.query<{ outcome: ConsumeOutcome; email: string | null }>(
          "select * from public.csaas_recovery_consume($1, $2, $3, $4, $5, $6)",
          [
            tokenHash,
            id,
            credential.secretHash,
            credential.secretPrefix,
            credential.expiresAt.toISOString(),
            REGISTRATION.maxActivePerEmail,
          ],
        ),
      );
      email = rows[0]?.email ?? "";
      return rows[0]?.outcome ?? "unknown";
    }));
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error; // withRequestDatabase answers 503
    log.log("error", "recovery_failed", { error: errorMessage(error) });
    return errorA(c, 500, M.completeFailed);
  }

  switch (outcome) {
    case "unknown":
    case "expired":
      return errorA(c, 401, M.invalidToken);
    case "consumed":
      return errorA(c, 401, M.tokenUsed);
    case "email_cap_reached":
      log.log("info", "recovery_email_cap", { email: maskEmail(email) });
      return errorA(c, 403, M.emailCap);
    case "tenant_id_taken":
      log.log("error", "recovery_failed", { error: "tenant id collisions exhausted" });
      return errorA(c, 500, M.createFailed);
    case "recovered":
      break;
  }

  // The gate caches "no such tenant" for ≤ 60 s; a lookup of this id before it existed must not lock it out.
  c.var.cost.doCalls++;
  if (!(await invalidateTenantGate(c.env, tenantId))) log.log("warn", "tenant_gate_invalidate_failed", { tenantId });
  log.log("info", "tenant_recovered", { tenantId, email: maskEmail(email) });
  sendMailLater(
    c,
    recoveredEmail({
      from: config.AXONFLOW_RECOVERY_FROM_EMAIL,
      to: email,
      tenantId,
      createdAt: rfc3339(new Date()),
    }),
    "recovered_email",
    { tenantId, email: maskEmail(email) },
  );
  return c.json(
    {
      tenant_id: tenantId,
      secret: credential.secret,
      secret_prefix: credential.secretPrefix,
      expires_at: rfc3339(credential.expiresAt),
      endpoint: config.AXONFLOW_PUBLIC_ENDPOINT,
      email,
      note: M.success,
    },
    200,
  );
}

const RecoveryBundle = z.object({
  tenant_id: z.string(),
  secret: z.string(),
  secret_prefix: z.string(),
  expires_at: z.string(),
  endpoint: z.string(),
  email: z.string(),
  note: z.string(),
});
const GenericMessage = z.object({ message: z.string() });
const html = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

export const recoveryRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/recover",
    summary: "Mail a single-use 15-minute recovery link to the address a tenant was registered with",
    tags: ["Tenants"],
    request: { body: { content: { "application/json": { schema: z.object({ email: z.string() }) } } } },
    responses: {
      202: jsonResponse(GenericMessage, "Always the same answer, whether or not the email owns a tenant"),
      400: jsonResponse(ErrorA, "Invalid JSON or invalid email"),
      405: jsonResponse(ErrorA, "Not POST"),
      413: jsonResponse(ErrorA, "Body over 1024 bytes"),
      503: jsonResponse(ErrorA, "Database unavailable"),
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/recover/verify",
    summary: "Confirm page for a recovery link (read-only: safe for mail scanners)",
    tags: ["Tenants"],
    request: { query: z.object({ token: z.string() }) },
    responses: {
      200: html("Confirm form posting the token"),
      400: html("No token in the URL"),
      401: html("Unknown, used or expired link"),
      503: html("Database unavailable"),
    },
  }),
  createRoute({
    method: "post",
    path: "/api/v1/recover/verify",
    summary: "Consume a recovery link: a new tenant bound to the same email",
    tags: ["Tenants"],
    request: {
      body: {
        content: {
          "application/json": { schema: z.object({ token: z.string() }) },
          "application/x-www-form-urlencoded": { schema: z.object({ token: z.string() }) },
        },
      },
    },
    responses: {
      200: jsonResponse(RecoveryBundle, "The new tenant's credentials; the secret is shown only here"),
      400: jsonResponse(ErrorA, "Missing token or invalid JSON"),
      401: jsonResponse(ErrorA, "Unknown, expired or already used token"),
      403: jsonResponse(ErrorA, "Three active tenants already claim the email"),
      413: jsonResponse(ErrorA, "Body over 1024 bytes"),
      415: jsonResponse(ErrorA, "Neither JSON nor a form"),
      503: jsonResponse(ErrorA, "Database unavailable"),
    },
  }),
];
