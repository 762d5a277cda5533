/**
 * GDPR erasure (platform.md §7): POST /api/v1/tenant/{id}/delete-request mails a single-use
 * one-hour token to the address the tenant was registered with; POST …/delete-confirm with that
 * token deletes every row of the tenant in one transaction, then empties its Durable Object and
 * archives its Stripe customer. Only served while registration is enabled.
 *
 * Enumeration safety: after validation, every delete-request spends the IP budget, mints and
 * HMACs a token, builds the mail and makes the same single database call whether or not the
 * tenant and email match (or the tenant is over its hourly limit); mail goes out after the
 * response. Status, body and timing are the same.
 */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { sha256Hex } from "../../crypto";
import { isDatabaseUnavailable } from "../../db/client";
import { retryOnConflict } from "../../db/scope";
import type { StripeArchiveOutcome } from "../../env";
import { readJsonBody } from "../../http/body";
import { clientIp } from "../../http/client-ip";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { looksLikeEmail } from "../../http/email";
import { errorA } from "../../http/errors";
import { errorMessage, maskEmail } from "../../http/log";
import { createRoute, ErrorA, jsonResponse, type RouteDoc } from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { forgetDenials } from "../../limits/deny-memo";
import { eraseTenantGate } from "../../limits/gate-client";
import { consumeIpBudget, DELETE_REQUEST_BUDGET } from "../../limits/ip-limiter";
import { sendMailLater } from "../../mail/background";
import { deletionEmail } from "../../mail/deletion-email";
import { forgetTenantPolicies } from "../../policy/tenant-policies";
import { rfc3339, withTimeout } from "../../time";
import {
  ERASURE_MESSAGES as M,
  MAX_BODY_BYTES,
  MAX_TOKENS_PER_TENANT_HOUR,
  STRIPE_ARCHIVE_TIMEOUT_MS,
  TOKEN_TTL_SECONDS,
} from "./messages";
import { hashDeletionToken, mintDeletionToken } from "./token";

/** Time the service binding itself may add on top of the billing Worker's Stripe bound. */
const BINDING_MARGIN_MS = 2_000;

/** A JSON body the reference's decoder accepts: an object (or null) whose fields have the right types. */
const requestBody = z.object({ email: z.string().nullish() }).nullable();
const confirmBody = z.object({ token: z.string().nullish() }).nullable();

type RequestOutcome = "issued" | "tenant_limited" | "unmatched";
type EraseOutcome = "erased" | "consumed" | "expired" | "unknown" | "mismatch";

interface EraseRow extends Record<string, unknown> {
  outcome: EraseOutcome;
  deleted_rows: Record<string, number> | null;
  refund_needed: boolean;
  refund_note: string | null;
  stripe_customer_id: string | null;
  deleted_at: Date | string | null;
}

/** The reference gives the erasure transaction 30 s (§7.2); a large tenant's purge may need it. */
const ERASE_TIMEOUT_MS = 30_000;
const REQUEST_ACTION = "delete-request";
const CONFIRM_ACTION = "delete-confirm";

/** Go's url.PathEscape closely enough for a tenant id: also escapes what encodeURIComponent keeps. */
const pathEscape = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/** Both erasure routes, with 405s for other methods. */
export function erasureRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = [
    { action: REQUEST_ACTION, handler: deleteRequest, notAllowed: M.requestMethodNotAllowed },
    { action: CONFIRM_ACTION, handler: deleteConfirm, notAllowed: M.confirmMethodNotAllowed },
  ];
  for (const { action, handler, notAllowed } of routes) {
    const path = `/api/v1/tenant/:tenant_id/${action}`;
    app.post(path, requireDatabase, handler);
    methodNotAllowed(app, path, ["POST"], notAllowed);
    // An empty id segment never matches `:tenant_id`; it still gets the reference's checks (503, then 400).
    const emptyId = `/api/v1/tenant//${action}`;
    app.all(emptyId, postOnly(requireDatabase), postOnly(handler));
    methodNotAllowed(app, emptyId, ["POST"], notAllowed);
  }
  return app;
}

/** Runs `handler` for POST; other methods pass on (to the 405). */
function postOnly(handler: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.method === "POST" ? handler(c, next) : next());
}

/** The trimmed path id ("" for an empty segment). */
const pathTenantId = (c: Context<AppEnv>) => (c.req.param("tenant_id") ?? "").trim();

/** Reads and decodes the JSON body (≤ 4096 bytes), or answers the §7 error. */
const readJson = <T>(c: Context<AppEnv>, schema: z.ZodType<T>) =>
  readJsonBody(c, schema, MAX_BODY_BYTES, { tooLarge: M.tooLarge, readError: M.readError, invalidJson: M.invalidJson });

async function deleteRequest(c: Context<AppEnv>): Promise<Response> {
  const { config, log } = c.var;
  const tenantId = pathTenantId(c);
  if (!tenantId) return errorA(c, 400, M.missingTenantId);
  const body = await readJson(c, requestBody);
  if (body instanceof Response) return body;
  const email = (body.value?.email ?? "").trim().toLowerCase();
  if (!looksLikeEmail(email)) return errorA(c, 400, M.invalidEmail);

  const generic = () => c.json({ message: M.generic }, 202);
  const ip = clientIp(c);
  const budget = await consumeIpBudget(c.env, DELETE_REQUEST_BUDGET, ip);
  if (!budget.allowed) {
    log.log("info", "tenant_delete_request_ip_limited", {});
    return generic();
  }

  // From here every pair does the same work: token, hashes and mail are prepared before the one
  // database call tells whether they are used.
  const token = mintDeletionToken();
  const [tokenHash, ipHash] = await Promise.all([
    hashDeletionToken(token, config.AXONFLOW_TENANT_DELETE_TOKEN_PEPPER),
    sha256Hex(ip),
  ]);
  const confirmUrl = `${config.AXONFLOW_DELETE_BASE_URL}/api/v1/tenant/${pathEscape(tenantId)}/${CONFIRM_ACTION}`;
  const mail = deletionEmail({ from: config.AXONFLOW_DELETE_FROM_EMAIL, to: email, tenantId, confirmUrl, token });
  let outcome: RequestOutcome;
  try {
    const rows = await c.var.db.query<{ outcome: RequestOutcome }>(
      "select public.csaas_tenant_delete_request($1, $2, $3, $4, $5, $6) as outcome",
      [tenantId, email, tokenHash, ipHash, TOKEN_TTL_SECONDS, MAX_TOKENS_PER_TENANT_HOUR],
    );
    outcome = rows[0]?.outcome ?? "unmatched";
  } catch (error) {
    log.log("error", "tenant_delete_request_failed", { error: errorMessage(error) });
    return generic();
  }
  log.log("info", "tenant_delete_requested", { tenantId, outcome, email: maskEmail(email) });
  if (outcome === "issued") {
    sendMailLater(c, mail, "tenant_delete_email", { tenantId, email: maskEmail(email) });
  }
  return generic();
}

async function deleteConfirm(c: Context<AppEnv>): Promise<Response> {
  const { config, log, db } = c.var;
  const tenantId = pathTenantId(c);
  if (!tenantId) return errorA(c, 400, M.missingTenantId);
  const body = await readJson(c, confirmBody);
  if (body instanceof Response) return body;
  const token = (body.value?.token ?? "").trim();
  if (!token) return errorA(c, 400, M.missingToken);
  const tokenHash = await hashDeletionToken(token, config.AXONFLOW_TENANT_DELETE_TOKEN_PEPPER);

  // Used and expired are answered before the tenant match (§7.2), so the lookup sees every tenant.
  let found: { tenant_id: string; consumed: boolean; expired: boolean } | undefined;
  try {
    const rows = await db.query<{ tenant_id: string; consumed: boolean; expired: boolean }>(
      "select * from public.csaas_tenant_delete_lookup($1)",
      [tokenHash],
    );
    found = rows[0];
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error; // withRequestDatabase answers 503
    log.log("error", "tenant_delete_verify_failed", { error: errorMessage(error) });
    return errorA(c, 500, M.verifyFailed);
  }
  if (!found) return errorA(c, 401, M.invalidToken);
  if (found.consumed) return errorA(c, 410, M.tokenUsed);
  if (found.expired) return errorA(c, 410, M.tokenExpired);
  if (found.tenant_id !== tenantId) return errorA(c, 401, M.invalidToken);

  let erased: EraseRow | undefined;
  try {
    const rows = await retryOnConflict(() =>
      db.query<EraseRow>("select * from public.csaas_tenant_erase($1, $2)", [tokenHash, tenantId], ERASE_TIMEOUT_MS),
    );
    erased = rows[0];
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error; // withRequestDatabase answers 503
    log.log("error", "tenant_delete_failed", { tenantId, error: errorMessage(error) });
    return errorA(c, 500, M.completeFailed);
  }
  // A concurrent confirm of the same token got the row lock first.
  switch (erased?.outcome) {
    case "erased":
      break;
    case "consumed":
      return errorA(c, 410, M.tokenUsed);
    case "expired":
      return errorA(c, 410, M.tokenExpired);
    default:
      return errorA(c, 401, M.invalidToken);
  }

  const counts = erased.deleted_rows ?? {};
  log.log("info", "tenant_deleted", {
    tenantId,
    tables: Object.entries(counts).map(([table, n]) => `${table}=${n}`),
    refundNeeded: erased.refund_needed,
  });
  await forgetEverywhere(c, tenantId, tokenHash);
  const stripe = erased.stripe_customer_id
    ? await archiveCustomer(c, tenantId, tokenHash, erased.stripe_customer_id)
    : undefined;

  return c.json(
    {
      message: M.success,
      tenant_id: tenantId,
      deleted_at: rfc3339(new Date(erased.deleted_at ?? Date.now())),
      deleted_rows: {
        registrations: counts.community_saas_registrations ?? 0,
        licenses: counts.plugin_user_licenses ?? 0,
        audit_logs: counts.audit_logs ?? 0,
        daily_usage: counts.community_saas_daily_usage ?? 0,
        usage_events: counts.usage_events ?? 0,
      },
      refund_needed: erased.refund_needed,
      ...(erased.refund_note ? { refund_note: erased.refund_note } : {}),
      ...(stripe ? { stripe_archived: stripe.ok } : {}),
    },
    200,
  );
}

/**
 * After the commit: empties the tenant's Durable Object (waiting for a flush it may be running),
 * then deletes rows such a flush wrote after the erasure, and drops this isolate's caches of the
 * tenant. Failures are logged; the erasure itself stands.
 */
async function forgetEverywhere(c: Context<AppEnv>, tenantId: string, tokenHash: string): Promise<void> {
  const { log, db } = c.var;
  if (!(await eraseTenantGate(c.env, tenantId))) log.log("error", "tenant_gate_erase_failed", { tenantId });
  try {
    const rows = await db.query<{ residue: Record<string, number> }>(
      "select public.csaas_tenant_erase_residue($1, $2) as residue",
      [tokenHash, tenantId],
    );
    const residue = Object.entries(rows[0]?.residue ?? {}).filter(([, n]) => n > 0);
    if (residue.length > 0) {
      log.log("warn", "tenant_delete_residue", { tenantId, tables: residue.map(([t, n]) => `${t}=${n}`) });
    }
  } catch (error) {
    log.log("error", "tenant_delete_residue_failed", { tenantId, error: errorMessage(error) });
  }
  forgetDenials(tenantId);
  forgetTenantPolicies(tenantId);
}

/**
 * Asks the billing Worker (BILLING binding, the only holder of STRIPE_SECRET_KEY) to archive the
 * Stripe customer and records the outcome on the log row. Nothing is attempted without the binding
 * or when the billing Worker has no key.
 */
async function archiveCustomer(
  c: Context<AppEnv>,
  tenantId: string,
  tokenHash: string,
  customerId: string,
): Promise<StripeArchiveOutcome | undefined> {
  const { log, db } = c.var;
  const billing = c.env.BILLING;
  if (!billing) return undefined;
  const call = billing
    .archiveStripeCustomer(customerId, STRIPE_ARCHIVE_TIMEOUT_MS)
    .catch((error: unknown): StripeArchiveOutcome => ({ ok: false, error: `billing worker: ${errorMessage(error)}` }));
  // The billing Worker bounds the Stripe call itself; this bounds the binding too.
  const outcome = await withTimeout(call, STRIPE_ARCHIVE_TIMEOUT_MS + BINDING_MARGIN_MS, () => ({
    ok: false as const,
    error: "timeout",
  }));
  if (outcome === null) return undefined;
  if (!outcome.ok) log.log("error", "tenant_delete_stripe_archive_failed", { tenantId, error: outcome.error });
  try {
    await db.query("select public.csaas_tenant_erase_stripe_result($1, $2, $3, $4)", [
      tokenHash,
      tenantId,
      outcome.ok,
      outcome.ok ? null : outcome.error,
    ]);
  } catch (error) {
    log.log("error", "tenant_delete_stripe_record_failed", { tenantId, error: errorMessage(error) });
  }
  return outcome;
}

const GenericMessage = z.object({ message: z.string() });
const ErasureBody = z.object({
  message: z.string(),
  tenant_id: z.string(),
  deleted_at: z.string(),
  deleted_rows: z.object({
    registrations: z.number().int(),
    licenses: z.number().int(),
    audit_logs: z.number().int(),
    daily_usage: z.number().int(),
    usage_events: z.number().int(),
  }),
  refund_needed: z.boolean(),
  refund_note: z.string().optional(),
  stripe_archived: z.boolean().optional(),
});
const tenantParam = z.object({ tenant_id: z.string() });

/** OpenAPI declarations of both routes. */
export const erasureRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: "/api/v1/tenant/{tenant_id}/delete-request",
    summary: "Mail a single-use one-hour deletion token to the address the tenant was registered with (GDPR Art. 17)",
    tags: ["Tenants"],
    request: {
      params: tenantParam,
      body: { content: { "application/json": { schema: z.object({ email: z.string() }) } } },
    },
    responses: {
      202: jsonResponse(GenericMessage, "Always the same answer, whether or not the tenant and email match"),
      400: jsonResponse(ErrorA, "Missing tenant id, unreadable body, invalid JSON or invalid email"),
      405: jsonResponse(ErrorA, "Not POST"),
      413: jsonResponse(ErrorA, "Body over 4096 bytes"),
      503: jsonResponse(ErrorA, "Database unavailable"),
    },
  }),
  createRoute({
    method: "post",
    path: "/api/v1/tenant/{tenant_id}/delete-confirm",
    summary: "Erase the tenant with the mailed token: every row, its Durable Object state, its Stripe customer",
    tags: ["Tenants"],
    request: {
      params: tenantParam,
      body: { content: { "application/json": { schema: z.object({ token: z.string() }) } } },
    },
    responses: {
      200: jsonResponse(ErasureBody, "Erased; counts of the deleted rows"),
      400: jsonResponse(ErrorA, "Missing tenant id or token, unreadable body, invalid JSON"),
      401: jsonResponse(ErrorA, "Unknown token, or a token for another tenant"),
      405: jsonResponse(ErrorA, "Not POST"),
      410: jsonResponse(ErrorA, "Token already used or expired"),
      413: jsonResponse(ErrorA, "Body over 4096 bytes"),
      500: jsonResponse(ErrorA, "Verification or deletion failed (nothing was deleted; the token stays usable)"),
      503: jsonResponse(ErrorA, "Database unavailable"),
    },
  }),
];
