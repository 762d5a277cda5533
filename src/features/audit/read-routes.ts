/**
 * Reading the audit trail (platform.md §9.4, the reference orchestrator's audit read handlers):
 * `POST /api/v1/audit/search`, `GET /api/v1/audit/tenant/{tenant_id}` and
 * `POST /api/v1/audit/summary`. The scope is always the authenticated tenant; each request counts
 * toward the daily quota. Errors use the orchestrator's full `OrchestratorResponse` body.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { withOrgScope } from "../../db/scope";
import {
  AUDIT_LIMITS,
  type AuditScope,
  parseRfc3339,
  searchAudit,
  summarizeAudit,
  tenantAudit,
} from "../../governance/audit-read";
import { parseJsonText, readBodyText } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { errorOrchestrator } from "../../http/errors";
import {
  authResponses,
  basicAuth,
  createRoute,
  ErrorA,
  ErrorOrchestrator,
  jsonResponse,
  type RouteDoc,
} from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";

const SEARCH_PATH = "/api/v1/audit/search";
const TENANT_PATH = "/api/v1/audit/tenant/:tenant_id";
const SUMMARY_PATH = "/api/v1/audit/summary";

/** Far below the app's 1 MiB cap: these bodies are a handful of filters. */
export const MAX_AUDIT_READ_BODY_BYTES = 64 * 1024;

/** The longest range a summary may cover (the reference's "1 year"). */
const MAX_SUMMARY_RANGE_MS = 365 * 86_400_000;

export const AUDIT_READ_MESSAGES = {
  invalidBody: "Invalid request body",
  tooLarge: "Request body too large",
  scopeMismatch: "tenant scope mismatch",
  invalidStart: "Invalid start_time: must be RFC3339 format",
  invalidEnd: "Invalid end_time: must be RFC3339 format",
  endBeforeStart: "end_time must be after start_time",
  rangeTooLong: "Date range must not exceed 1 year",
} as const;

// Go decodes `null` into a field as "absent", so every field is nullish.
const text = z.string().nullish();
const rfc3339Time = z
  .string()
  .refine((value) => parseRfc3339(value) !== undefined, { error: "must be RFC3339" })
  .nullish()
  .describe("RFC 3339, e.g. 2026-05-01T00:00:00Z");

/** The search body; unknown keys are ignored, a wrongly typed or unparseable field is a 400. */
export const auditSearchBody = z.object({
  user_email: text.describe("Contains, case-insensitive"),
  client_id: text.describe("Contains, case-insensitive"),
  start_time: rfc3339Time,
  end_time: rfc3339Time,
  request_type: text,
  decision_id: text,
  policy_name: text.describe("A policy id or name the row matched, or a tool-call's tool name"),
  override_id: text,
  action: text.describe(
    "policy_decision: allowed | blocked | redacted | needs_approval | error (legacy spellings too)",
  ),
  limit: z.number().int().nullish().describe(`Default ${AUDIT_LIMITS.searchDefault}, at most ${AUDIT_LIMITS.max}`),
  offset: z.number().int().nullish(),
});

export const auditSummaryBody = z.object({ start_time: z.string().nullish(), end_time: z.string().nullish() });

type Body = { ok: true; value: unknown } | { ok: false; response: Response };

/** The JSON body, bounded; a missing, oversized or malformed one answers as the reference does. */
async function readJson(c: Context<AppEnv>): Promise<Body> {
  const read = await readBodyText(c, MAX_AUDIT_READ_BODY_BYTES);
  if (read.kind === "too_large") {
    return { ok: false, response: errorOrchestrator(c, 413, AUDIT_READ_MESSAGES.tooLarge) };
  }
  const json = read.kind === "ok" ? parseJsonText(read.text) : { kind: "invalid" as const };
  if (json.kind !== "ok") return { ok: false, response: errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.invalidBody) };
  // `null` decodes into Go's struct as "nothing set".
  return { ok: true, value: json.value ?? {} };
}

const scopeOf = (c: Context<AppEnv>): AuditScope => ({
  tenantId: c.var.identity.tenantId,
  tier: c.var.identity.tier,
  nowMs: Date.now(),
});

const scoped = <T>(c: Context<AppEnv>, fn: Parameters<typeof withOrgScope<T>>[2]) =>
  withOrgScope(c.var.db, c.var.identity.orgId, fn);

/** The path's tenant must be the caller's (checked before any database work). */
const sameTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.param("tenant_id") !== c.var.identity.tenantId) {
    return errorOrchestrator(c, 403, AUDIT_READ_MESSAGES.scopeMismatch);
  }
  await next();
};

/** `?limit=` (or the older `?page_size=`) when it is an integer in 1..1000; anything else is ignored. */
function pageLimit(c: Context<AppEnv>): number | undefined {
  for (const name of ["limit", "page_size"]) {
    const raw = c.req.query(name)?.trim() ?? "";
    const n = /^[+-]?\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
    if (n >= 1 && n <= AUDIT_LIMITS.max) return n;
  }
  return undefined;
}

export function auditReadRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = [requireTenant(), requireDatabase] as const;

  app.post(SEARCH_PATH, ...guard, async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = auditSearchBody.safeParse(body.value);
    if (!parsed.success) return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.invalidBody);
    const f = parsed.data;
    const time = (value: string | null | undefined) => (value ? parseRfc3339(value) : undefined);
    const page = await scoped(c, (tx) =>
      searchAudit(tx, scopeOf(c), {
        userEmail: f.user_email ?? undefined,
        clientId: f.client_id ?? undefined,
        startTime: time(f.start_time),
        endTime: time(f.end_time),
        requestType: f.request_type ?? undefined,
        decisionId: f.decision_id ?? undefined,
        policyName: f.policy_name ?? undefined,
        overrideId: f.override_id ?? undefined,
        action: f.action ?? undefined,
        limit: f.limit ?? undefined,
        offset: f.offset ?? undefined,
      }),
    );
    return c.json(page);
  });

  app.get(TENANT_PATH, requireTenant(), sameTenant, requireDatabase, async (c) =>
    c.json(await scoped(c, (tx) => tenantAudit(tx, scopeOf(c), pageLimit(c)))),
  );

  app.post(SUMMARY_PATH, ...guard, async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = auditSummaryBody.safeParse(body.value);
    if (!parsed.success) return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.invalidBody);
    const start = parseRfc3339(parsed.data.start_time ?? "");
    if (!start) return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.invalidStart);
    const end = parseRfc3339(parsed.data.end_time ?? "");
    if (!end) return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.invalidEnd);
    if (end <= start) return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.endBeforeStart);
    if (end.getTime() - start.getTime() > MAX_SUMMARY_RANGE_MS) {
      return errorOrchestrator(c, 400, AUDIT_READ_MESSAGES.rangeTooLong);
    }
    return c.json(await scoped(c, (tx) => summarizeAudit(tx, scopeOf(c), { start, end })));
  });

  methodNotAllowed(app, SEARCH_PATH, ["POST"]);
  methodNotAllowed(app, TENANT_PATH, ["GET"]);
  methodNotAllowed(app, SUMMARY_PATH, ["POST"]);
  return app;
}

const json = z.record(z.string(), z.unknown());

/** One entry, in the reference's `AuditEntry` key order. */
export const AuditEntrySchema = z.object({
  id: z.string(),
  request_id: z.string(),
  timestamp: z.string(),
  user_id: z.string(),
  user_email: z.string(),
  user_role: z.string(),
  client_id: z.string(),
  tenant_id: z.string(),
  org_id: z.string(),
  request_type: z.string(),
  query: z.string(),
  query_hash: z.string(),
  policy_decision: z.string(),
  policy_details: json.nullable(),
  provider: z.string(),
  model: z.string(),
  response_time_ms: z.number().int(),
  tokens_used: z.number().int(),
  cost: z.number(),
  redacted_fields: z.array(z.unknown()).nullable(),
  error_message: z.string().optional(),
  response_sample: z.string(),
  compliance_flags: z.array(z.unknown()).nullable(),
  security_metrics: json.nullable(),
  decision_id: z.string().optional(),
});

export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const ComplianceSummarySchema = z.object({
  total_requests: z.number().int(),
  allowed_requests: z.number().int(),
  blocked_requests: z.number().int(),
  modified_requests: z.number().int(),
  needs_approval_requests: z.number().int(),
  error_requests: z.number().int(),
  block_rate_percent: z.number(),
  avg_latency_ms: z.number(),
  total_events: z.number().int(),
  by_severity: z.record(z.string(), z.number().int()),
  by_action: z.record(z.string(), z.number().int()),
  top_policies: z.array(
    z.object({ policy_name: z.string(), trigger_count: z.number().int(), block_count: z.number().int() }),
  ),
  compliance_score: z.number(),
});

const bodyErrors = {
  413: jsonResponse(ErrorOrchestrator, `Body over ${MAX_AUDIT_READ_BODY_BYTES} bytes`),
};

export const auditReadRouteDocs: RouteDoc[] = [
  createRoute({
    method: "post",
    path: SEARCH_PATH,
    summary: "Search the tenant's audit trail (newest first, within the tier's retention)",
    tags: ["Audit"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: auditSearchBody } } } },
    responses: {
      200: jsonResponse(AuditPageSchema, "Matching entries (`entries` is never null) and the count of all matches"),
      ...authResponses,
      400: jsonResponse(ErrorOrchestrator, "Invalid request body (bad JSON, a wrong type, a time not RFC 3339)"),
      ...bodyErrors,
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/audit/tenant/{tenant_id}",
    summary: "The tenant's latest audit entries (default 50)",
    tags: ["Audit"],
    security: basicAuth,
    request: {
      params: z.object({ tenant_id: z.string() }),
      query: z.object({
        limit: z.string().optional().describe("1..1000; anything else is ignored"),
        page_size: z.string().optional().describe("Older name of limit"),
      }),
    },
    responses: {
      200: jsonResponse(AuditPageSchema, "The latest entries; `total` counts them"),
      ...authResponses,
      403: jsonResponse(
        z.union([ErrorOrchestrator, ErrorA]),
        "tenant scope mismatch; a license token for another tenant",
      ),
    },
  }),
  createRoute({
    method: "post",
    path: SUMMARY_PATH,
    summary: "Compliance summary of the tenant's audit trail over a time range (at most 1 year)",
    tags: ["Audit"],
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: auditSummaryBody } } } },
    responses: {
      200: jsonResponse(ComplianceSummarySchema, "Verdict counts, rates, actions and the top policies"),
      ...authResponses,
      400: jsonResponse(
        ErrorOrchestrator,
        "Invalid request body, Invalid start_time/end_time (RFC 3339), end before start, range over 1 year",
      ),
      ...bodyErrors,
    },
  }),
];
