/**
 * The tenant's dynamic policies (platform.md §9.4):
 * - `/api/v1/dynamic-policies`: list, create, read, update and (soft) delete the caller's own rows,
 *   with the reference policy API's bodies (`{policy}`, `{policies, pagination}`) and errors
 *   (`{"error":{"code":"<CODE>","message":…,"details"?:[{field,message}]}}`). A policy id is its
 *   UUID or its `policy_id`. Active rows count toward the tier's custom-policy cap.
 * - `POST /api/v1/mcp/evaluate-policies`: the caller's enabled policies evaluated against one
 *   tool call (src/policy/dynamic.ts), errors `{"success":false,"error":…}`. The credential decides
 *   the tenant; a body `tenant_id` may only repeat it.
 * Bodies are capped at 64 KiB. Every write invalidates the tenant's gate after the response.
 */
import { and, asc, count, desc, eq, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { requireTenant } from "../../auth/middleware";
import { randomHex, sha256Hex } from "../../crypto";
import type { Tx } from "../../db/client";
import { dynamicPolicies } from "../../db/schema";
import { sqlState, withOrgScope } from "../../db/scope";
import {
  DEFAULT_CATEGORY,
  dynamicPolicyView,
  findDynamicPolicy,
  metadataOf,
  ownRows,
  type Row,
  storedList,
  UUID,
} from "../../governance/dynamic-policies";
import { policyCapExceeded } from "../../governance/policy-cap";
import { byteLength, readBodyText } from "../../http/body";
import type { AppEnv, Identity } from "../../http/context";
import { requireDatabase } from "../../http/database";
import { defer } from "../../http/defer";
import { errorO } from "../../http/errors";
import {
  authResponses,
  basicAuth,
  createRoute,
  ErrorO,
  jsonResponse,
  LimitEnvelope,
  type RouteDoc,
} from "../../http/openapi";
import { methodNotAllowed } from "../../http/routing";
import { type LimitResponse, restLimitResponse } from "../../limits/envelopes";
import { invalidateTenantGate } from "../../limits/gate-client";
import { consumeIpBudget } from "../../limits/ip-limiter";
import {
  type Counter,
  DYNAMIC_POLICY_TYPES,
  type DynamicPolicy,
  definitionErrors,
  evaluateDynamicPolicies,
  type FieldError,
  type PolicyAction,
  type PolicyCondition,
} from "../../policy/dynamic";

const COLLECTION = "/api/v1/dynamic-policies";
const ITEM = "/api/v1/dynamic-policies/:id";
const EVALUATE = "/api/v1/mcp/evaluate-policies";

const MAX_BODY_BYTES = 64 * 1024;
const PAGE_SIZE = { default: 20, max: 100 } as const;
/** Counters of rate-limit and budget policies live in IpLimiter objects of this bucket. */
const COUNTER_BUCKET = "dynamic-policy";

/** A caller-chosen `policy_id`; never UUID-shaped, so an id in a path names one row. */
const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const MESSAGES = {
  invalidJson: "Invalid JSON body",
  validation: "Request validation failed",
  notFound: "Dynamic policy not found",
  tooLarge: "Request body too large",
  conflict: "A policy with this policy_id already exists",
  listCategory: "Category must start with 'dynamic-' for this endpoint",
  tenantMismatch: "Forbidden: tenant_id does not match the authenticated tenant",
  connectorRequired: "connector_name is required",
} as const;

// Null stands for "absent", as Go's decoder reads it; wrong JSON types fail the parse (INVALID_JSON).
const conditionSchema = z.object({
  field: z.string().nullish(),
  operator: z.string().nullish(),
  value: z.unknown().optional(),
});
const actionSchema = z.object({
  type: z.string().nullish(),
  config: z.record(z.string(), z.unknown()).nullish(),
});

const createBody = z.object({
  policy_id: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  type: z.string().nullish(),
  category: z.string().nullish(),
  tier: z.string().nullish(),
  conditions: z.array(conditionSchema).nullish(),
  actions: z.array(actionSchema).nullish(),
  priority: z.number().int().nullish(),
  enabled: z.boolean().nullish(),
  tags: z.array(z.string()).nullish(),
});
type CreateBody = z.infer<typeof createBody>;

const updateBody = createBody.omit({ policy_id: true, tier: true });
type UpdateBody = z.infer<typeof updateBody>;

const evaluateBody = z.object({
  tenant_id: z.string().nullish(),
  organization_id: z.string().nullish(),
  user_id: z.string().nullish(),
  user_role: z.string().nullish(),
  connector_name: z.string().nullish(),
  operation: z.string().nullish(),
  statement: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  request_time: z.string().nullish(),
  client_ip: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

// ---- helpers ----

/** The policy API's error body. */
function policyError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: FieldError[],
  headers?: Record<string, string>,
) {
  return c.json({ error: { code, message, ...(details ? { details } : {}) } }, status, headers);
}

type JsonRead = { ok: true; value: unknown } | { ok: false; tooLarge: boolean; detail: string };

/** The body as JSON, at most 64 KiB; `detail` is what a parse failure says (Go's `EOF` for none). */
async function readJson(c: Context): Promise<JsonRead> {
  const read = await readBodyText(c, MAX_BODY_BYTES);
  if (read.kind === "too_large") return { ok: false, tooLarge: true, detail: MESSAGES.tooLarge };
  if (read.kind === "read_error") return { ok: false, tooLarge: false, detail: "unexpected EOF" };
  if (read.text.trim() === "") return { ok: false, tooLarge: false, detail: "EOF" };
  try {
    return { ok: true, value: JSON.parse(read.text) };
  } catch (error) {
    return { ok: false, tooLarge: false, detail: error instanceof Error ? error.message : "invalid JSON" };
  }
}

const conditionsOf = (items: z.infer<typeof conditionSchema>[]): PolicyCondition[] =>
  items.map(({ field, operator, value }) => ({ field: field ?? "", operator: operator ?? "", value }));

const actionsOf = (items: z.infer<typeof actionSchema>[]): PolicyAction[] =>
  items.map(({ type, config }) => ({ type: type ?? "", config: config ?? {} }));

// ---- validation (the reference's messages, all problems at once) ----

const TYPE_MESSAGE = `Type must be one of: ${DYNAMIC_POLICY_TYPES.join(", ")}`;

const FIELD_ORDER = [
  "policy_id",
  "name",
  "description",
  "type",
  "category",
  "tier",
  "conditions",
  "actions",
  "priority",
];

/** Problems in the body's field order (`conditions[2]` sorts with `conditions`), whichever check found them. */
function inFieldOrder(errors: FieldError[]): FieldError[] {
  const rank = (e: FieldError) => {
    const i = FIELD_ORDER.indexOf(e.field.replace(/\[\d+\]$/, ""));
    return i < 0 ? FIELD_ORDER.length : i;
  };
  // Array sort is stable: problems of one field keep the order they were found in.
  return [...errors].sort((a, b) => rank(a) - rank(b));
}

/** Checks of the fields create and update share; absent (null) fields pass. */
function fieldErrors(body: UpdateBody): FieldError[] {
  const errors: FieldError[] = [];
  if (body.name != null && (byteLength(body.name) < 3 || byteLength(body.name) > 100)) {
    errors.push({ field: "name", message: "Name must be between 3 and 100 characters" });
  }
  if (body.description != null && byteLength(body.description) > 500) {
    errors.push({ field: "description", message: "Description must not exceed 500 characters" });
  }
  if (body.type != null && !(DYNAMIC_POLICY_TYPES as readonly string[]).includes(body.type)) {
    errors.push({ field: "type", message: TYPE_MESSAGE });
  }
  if (body.category != null && (!body.category.startsWith("dynamic-") || body.category.length > 100)) {
    errors.push({ field: "category", message: "Category must start with 'dynamic-' (at most 100 characters)" });
  }
  if (body.conditions?.length === 0) {
    errors.push({ field: "conditions", message: "At least one condition is required" });
  }
  if (body.actions?.length === 0) {
    errors.push({ field: "actions", message: "At least one action is required" });
  }
  if (body.priority != null && (body.priority < 0 || body.priority > 1000)) {
    errors.push({ field: "priority", message: "Priority must be between 0 and 1000" });
  }
  if (body.tags != null && (body.tags.length > 20 || body.tags.some((t) => t.length > 100))) {
    errors.push({ field: "tags", message: "At most 20 tags of at most 100 characters" });
  }
  return errors;
}

function createErrors(body: CreateBody): FieldError[] {
  const errors: FieldError[] = [];
  if (body.policy_id != null && (!POLICY_ID.test(body.policy_id) || UUID.test(body.policy_id))) {
    errors.push({
      field: "policy_id",
      message: "policy_id must be 1-100 letters, digits, '_', '.', ':' or '-', and not a UUID",
    });
  }
  if (body.name == null) errors.push({ field: "name", message: "Name must be between 3 and 100 characters" });
  if (body.type == null || body.type === "") errors.push({ field: "type", message: "Type is required" });
  if (body.tier != null && body.tier !== "" && body.tier !== "tenant") {
    errors.push({ field: "tier", message: "Only tenant-tier policies can be created" });
  }
  if (body.conditions == null) errors.push({ field: "conditions", message: "At least one condition is required" });
  if (body.actions == null) errors.push({ field: "actions", message: "At least one action is required" });
  errors.push(...fieldErrors({ ...body, type: body.type || null }));
  const conditions = conditionsOf(body.conditions ?? []);
  const actions = actionsOf(body.actions ?? []);
  errors.push(...definitionErrors(body.type ?? "", conditions, actions));
  return inFieldOrder(errors);
}

// ---- writes ----

type WriteOutcome =
  | { kind: "ok"; row: Row }
  | { kind: "not_found" }
  | { kind: "invalid_json" }
  | { kind: "invalid"; errors: FieldError[] }
  | { kind: "capped"; limit: LimitResponse };

function answerWrite(c: Context<AppEnv>, outcome: WriteOutcome, status: ContentfulStatusCode): Response {
  switch (outcome.kind) {
    case "ok":
      invalidateLater(c);
      return c.json({ policy: dynamicPolicyView(outcome.row) }, status);
    case "not_found":
      return policyError(c, 404, "NOT_FOUND", MESSAGES.notFound);
    case "invalid_json":
      return policyError(c, 400, "INVALID_JSON", MESSAGES.invalidJson);
    case "invalid":
      return policyError(c, 400, "VALIDATION_ERROR", MESSAGES.validation, outcome.errors);
    case "capped":
      return restLimitResponse(outcome.limit);
  }
}

/** The tenant's gate drops what it caches of the tenant's policies (after the response). */
function invalidateLater(c: Context<AppEnv>): void {
  c.var.cost.deferredDoCalls++;
  defer(c, invalidateTenantGate(c.env, c.var.identity.tenantId));
}

async function createPolicy(tx: Tx, identity: Identity, body: CreateBody): Promise<WriteOutcome> {
  const enabled = body.enabled ?? false;
  if (enabled) {
    const capped = await policyCapExceeded(tx, identity);
    if (capped) return { kind: "capped", limit: capped };
  }
  const metadata = { category: body.category ?? DEFAULT_CATEGORY, ...(body.tags?.length ? { tags: body.tags } : {}) };
  const [row] = await tx
    .insert(dynamicPolicies)
    .values({
      orgId: identity.orgId,
      tenantId: identity.tenantId,
      tier: "tenant",
      policyId: body.policy_id ?? `dyn_${randomHex(6)}`,
      name: body.name ?? "",
      description: body.description || null,
      policyType: body.type ?? "",
      conditions: conditionsOf(body.conditions ?? []),
      actions: actionsOf(body.actions ?? []),
      priority: body.priority ?? 0,
      enabled,
      metadata,
    })
    .returning();
  if (!row) throw new Error("dynamic_policies insert returned no row");
  return { kind: "ok", row };
}

async function updatePolicy(tx: Tx, identity: Identity, id: string, read: JsonRead): Promise<WriteOutcome> {
  const row = await findDynamicPolicy(tx, identity, id);
  if (!row) return { kind: "not_found" };
  const parsed = read.ok ? updateBody.safeParse(read.value) : undefined;
  if (!parsed?.success) return { kind: "invalid_json" };
  const body = parsed.data;
  const errors = fieldErrors(body);
  // The stored definition is re-checked only when this update touches it.
  if (body.type != null || body.conditions != null || body.actions != null) {
    errors.push(
      ...definitionErrors(
        body.type ?? row.policyType,
        body.conditions ? conditionsOf(body.conditions) : storedList<PolicyCondition>(row.conditions),
        body.actions ? actionsOf(body.actions) : storedList<PolicyAction>(row.actions),
      ),
    );
  }
  if (errors.length > 0) return { kind: "invalid", errors: inFieldOrder(errors) };
  if (body.enabled === true && !row.enabled) {
    const capped = await policyCapExceeded(tx, identity);
    if (capped) return { kind: "capped", limit: capped };
  }
  const stored = metadataOf(row);
  const metadata = {
    ...(row.metadata as object),
    category: body.category ?? stored.category,
    ...(body.tags ? { tags: body.tags } : {}),
  };
  const [updated] = await tx
    .update(dynamicPolicies)
    .set({
      ...(body.name != null ? { name: body.name } : {}),
      ...(body.description != null ? { description: body.description || null } : {}),
      ...(body.type != null ? { policyType: body.type } : {}),
      ...(body.conditions ? { conditions: conditionsOf(body.conditions) } : {}),
      ...(body.actions ? { actions: actionsOf(body.actions) } : {}),
      ...(body.priority != null ? { priority: body.priority } : {}),
      ...(body.enabled != null ? { enabled: body.enabled } : {}),
      metadata,
      version: row.version + 1,
      updatedAt: new Date(),
    })
    .where(eq(dynamicPolicies.id, row.id))
    .returning();
  return updated ? { kind: "ok", row: updated } : { kind: "not_found" };
}

// ---- list ----

/** Go's `strconv.Atoi(s)` > 0, else undefined. */
function positiveInt(text: string | undefined): number | undefined {
  if (!text || !/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

const SORT_COLUMNS = {
  name: dynamicPolicies.name,
  priority: dynamicPolicies.priority,
  created_at: dynamicPolicies.createdAt,
  updated_at: dynamicPolicies.updatedAt,
} as const;

async function listPolicies(c: Context<AppEnv>): Promise<Response> {
  const query = (key: string) => c.req.query(key) ?? "";
  const category = query("category");
  if (category && !category.startsWith("dynamic-")) {
    return policyError(c, 400, "VALIDATION_ERROR", MESSAGES.listCategory);
  }
  const page = positiveInt(query("page")) ?? 1;
  // `limit` wins over the older `page_size`; an out-of-range size falls back to the default.
  const size = positiveInt(query("limit") || query("page_size"));
  const pageSize = size !== undefined && size <= PAGE_SIZE.max ? size : PAGE_SIZE.default;

  const filters: (SQL | undefined)[] = [ownRows(c.var.identity)];
  if (query("type")) filters.push(eq(dynamicPolicies.policyType, query("type")));
  if (query("enabled")) filters.push(eq(dynamicPolicies.enabled, query("enabled") === "true"));
  if (category) {
    filters.push(sql`coalesce(${dynamicPolicies.metadata}->>'category', ${DEFAULT_CATEGORY}) = ${category}`);
  }
  const search = query("search");
  if (search) {
    const pattern = `%${search.replace(/[\\%_]/g, "\\$&")}%`;
    filters.push(or(ilike(dynamicPolicies.name, pattern), ilike(dynamicPolicies.description, pattern)));
  }
  const where = and(...filters);
  const sortBy = query("sort_by");
  const column = Object.hasOwn(SORT_COLUMNS, sortBy)
    ? SORT_COLUMNS[sortBy as keyof typeof SORT_COLUMNS]
    : dynamicPolicies.createdAt;
  const direction = query("sort_dir") === "asc" ? asc : desc;

  const { rows, total } = await withOrgScope(c.var.db, c.var.identity.orgId, async (tx) => {
    const [counted] = await tx.select({ n: count() }).from(dynamicPolicies).where(where);
    const rows = await tx
      .select()
      .from(dynamicPolicies)
      .where(where)
      .orderBy(direction(column), direction(dynamicPolicies.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize);
    return { rows, total: counted?.n ?? 0 };
  });
  return c.json({
    policies: rows.map(dynamicPolicyView),
    pagination: { page, page_size: pageSize, total_items: total, total_pages: Math.ceil(total / pageSize) },
  });
}

// ---- evaluate ----

const jsonKind = (value: unknown) =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "array"
      : typeof value === "boolean"
        ? "bool"
        : typeof value === "object"
          ? "object"
          : typeof value;

const GO_FIELD_TYPES: Record<string, string> = {
  parameters: "map[string]interface {}",
  metadata: "map[string]interface {}",
  request_time: "time.Time",
};

/** What Go's decoder says about a value of the wrong type (the reference echoes it). */
function unmarshalError(body: unknown, issues: z.ZodError["issues"]): string {
  const field = issues[0]?.path[0];
  if (typeof field !== "string") {
    return `json: cannot unmarshal ${jsonKind(body)} into Go value of type orchestrator.MCPPolicyEvaluationRequest`;
  }
  const value = (body as Record<string, unknown>)[field];
  const goType = GO_FIELD_TYPES[field] ?? "string";
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field MCPPolicyEvaluationRequest.${field} of type ${goType}`;
}

async function evaluate(c: Context<AppEnv>): Promise<Response> {
  const started = Date.now();
  const read = await readJson(c);
  if (!read.ok) {
    return read.tooLarge ? errorO(c, 413, MESSAGES.tooLarge) : errorO(c, 400, `Invalid request body: ${read.detail}`);
  }
  // Go decodes a JSON null into an empty request.
  const json = read.value ?? {};
  const parsed = evaluateBody.safeParse(json);
  if (!parsed.success) return errorO(c, 400, `Invalid request body: ${unmarshalError(json, parsed.error.issues)}`);
  const body = parsed.data;
  const time = body.request_time;
  if (time && (!RFC3339.test(time) || !Number.isFinite(Date.parse(time)))) {
    return errorO(c, 400, `Invalid request body: parsing time ${JSON.stringify(time)} as "2006-01-02T15:04:05Z07:00"`);
  }
  const { identity } = c.var;
  // Authorization before validation, as the reference: a foreign tenant is refused whatever else the body says.
  const bodyTenant = body.tenant_id?.trim() ?? "";
  if (bodyTenant && bodyTenant !== identity.tenantId) return errorO(c, 403, MESSAGES.tenantMismatch);
  if (!body.connector_name) return errorO(c, 400, MESSAGES.connectorRequired);

  const rows = await withOrgScope(c.var.db, identity.orgId, (tx) =>
    tx
      .select()
      .from(dynamicPolicies)
      .where(
        and(
          ownRows(identity),
          eq(dynamicPolicies.enabled, true),
          inArray(dynamicPolicies.policyType, [...DYNAMIC_POLICY_TYPES]),
        ),
      )
      .orderBy(desc(dynamicPolicies.priority), desc(dynamicPolicies.createdAt)),
  );
  const policies: DynamicPolicy[] = rows.map((row) => ({
    policyId: row.policyId,
    name: row.name,
    type: row.policyType,
    conditions: storedList<PolicyCondition>(row.conditions),
    actions: storedList<PolicyAction>(row.actions),
  }));
  const counter: Counter = async (key, limit, windowMs) => {
    c.var.cost.doCalls++;
    // Hashed: user ids and connector names are the caller's text, of any length.
    return consumeIpBudget(c.env, { bucket: COUNTER_BUCKET, limit, windowMs }, await sha256Hex(key));
  };
  const result = await evaluateDynamicPolicies(
    policies,
    {
      tenantId: identity.tenantId,
      userId: body.user_id ?? "",
      userRole: body.user_role ?? "",
      connectorName: body.connector_name,
      operation: body.operation ?? "",
      statement: body.statement ?? "",
      parameters: body.parameters ?? undefined,
      requestTime: time ? new Date(time) : undefined,
    },
    { counter, nowMs: Date.now() },
  );
  return c.json({
    allowed: result.allowed,
    ...(result.blockReason ? { block_reason: result.blockReason } : {}),
    policies_evaluated: result.policiesEvaluated,
    ...(result.matches.length > 0 ? { matched_policies: result.matches } : {}),
    processing_time_ms: Date.now() - started,
  });
}

// ---- routes ----

/** 405 in the policy API's shape, with `Allow`. */
function policyMethodNotAllowed(app: Hono<AppEnv>, path: string, allowed: readonly string[]): void {
  const allow = [...allowed, "OPTIONS"].join(", ");
  app.all(path, (c) => policyError(c, 405, "METHOD_NOT_ALLOWED", "Method not allowed", undefined, { Allow: allow }));
}

export function dynamicPolicyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard = [requireTenant(), requireDatabase] as const;
  const scoped = <T>(c: Context<AppEnv>, fn: (tx: Tx) => Promise<T>) =>
    withOrgScope(c.var.db, c.var.identity.orgId, fn);

  app.get(COLLECTION, ...guard, listPolicies);

  app.post(COLLECTION, ...guard, async (c) => {
    const read = await readJson(c);
    if (!read.ok && read.tooLarge) return policyError(c, 413, "PAYLOAD_TOO_LARGE", MESSAGES.tooLarge);
    const parsed = read.ok ? createBody.safeParse(read.value) : undefined;
    if (!parsed?.success) return policyError(c, 400, "INVALID_JSON", MESSAGES.invalidJson);
    const errors = createErrors(parsed.data);
    if (errors.length > 0) return answerWrite(c, { kind: "invalid", errors }, 400);
    try {
      return answerWrite(c, await scoped(c, (tx) => createPolicy(tx, c.var.identity, parsed.data)), 201);
    } catch (error) {
      // policy_id is unique across tenants, so a taken one may belong to a row this caller cannot see.
      if (sqlState(error) === "23505") return policyError(c, 409, "CONFLICT", MESSAGES.conflict);
      throw error;
    }
  });

  app.get(ITEM, ...guard, async (c) => {
    const row = await scoped(c, (tx) => findDynamicPolicy(tx, c.var.identity, c.req.param("id")));
    return row ? c.json({ policy: dynamicPolicyView(row) }) : policyError(c, 404, "NOT_FOUND", MESSAGES.notFound);
  });

  app.put(ITEM, ...guard, async (c) => {
    const read = await readJson(c);
    if (!read.ok && read.tooLarge) return policyError(c, 413, "PAYLOAD_TOO_LARGE", MESSAGES.tooLarge);
    return answerWrite(c, await scoped(c, (tx) => updatePolicy(tx, c.var.identity, c.req.param("id"), read)), 200);
  });

  app.delete(ITEM, ...guard, async (c) => {
    const deleted = await scoped(c, async (tx) => {
      const row = await findDynamicPolicy(tx, c.var.identity, c.req.param("id"));
      if (!row) return false;
      const now = new Date();
      await tx.update(dynamicPolicies).set({ deletedAt: now, updatedAt: now }).where(eq(dynamicPolicies.id, row.id));
      return true;
    });
    if (!deleted) return policyError(c, 404, "NOT_FOUND", MESSAGES.notFound);
    invalidateLater(c);
    return c.body(null, 204);
  });

  app.post(EVALUATE, ...guard, evaluate);

  policyMethodNotAllowed(app, COLLECTION, ["GET", "POST"]);
  policyMethodNotAllowed(app, ITEM, ["GET", "PUT", "DELETE"]);
  methodNotAllowed(app, EVALUATE, ["POST"]);
  return app;
}

// ---- OpenAPI ----

const FieldErrorSchema = z.object({ field: z.string(), message: z.string() });
/** The policy API's error body. */
export const PolicyApiError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(FieldErrorSchema).optional() }),
});

export const PolicyResource = z.object({
  id: z.string(),
  policy_id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  type: z.string(),
  category: z.string(),
  tier: z.string(),
  conditions: z.array(z.object({ field: z.string(), operator: z.string(), value: z.unknown().optional() })),
  actions: z.array(z.object({ type: z.string(), config: z.record(z.string(), z.unknown()).optional() })),
  priority: z.number().int(),
  enabled: z.boolean(),
  version: z.number().int(),
  tenant_id: z.string(),
  tags: z.array(z.string()).optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

const PolicyAnswer = z.object({ policy: PolicyResource });

export const PolicyList = z.object({
  policies: z.array(PolicyResource),
  pagination: z.object({
    page: z.number().int(),
    page_size: z.number().int(),
    total_items: z.number().int(),
    total_pages: z.number().int(),
  }),
});

export const EvaluationAnswer = z.object({
  allowed: z.boolean(),
  block_reason: z.string().optional(),
  policies_evaluated: z.number().int(),
  matched_policies: z
    .array(
      z.object({
        policy_id: z.string(),
        policy_name: z.string(),
        policy_type: z.string(),
        action: z.string(),
        reason: z.string().optional(),
      }),
    )
    .optional(),
  processing_time_ms: z.number().int(),
});

const idParam = z.object({ id: z.string().describe("The policy's UUID or its policy_id") });
const licenseOrCap = jsonResponse(
  z.union([LimitEnvelope, authResponses[403].content["application/json"].schema]),
  "Active-policy cap of the tier (active_policies envelope), or a license for another tenant",
);
const tags = ["Dynamic policies"];

export const dynamicPolicyRouteDocs: RouteDoc[] = [
  createRoute({
    method: "get",
    path: COLLECTION,
    summary: "List the tenant's dynamic policies",
    tags,
    security: basicAuth,
    request: {
      query: z.object({
        type: z.string().optional(),
        category: z.string().optional(),
        enabled: z.enum(["true", "false"]).optional(),
        search: z.string().optional(),
        sort_by: z.enum(["name", "priority", "created_at", "updated_at"]).optional(),
        sort_dir: z.enum(["asc", "desc"]).optional(),
        page: z.string().optional(),
        limit: z.string().optional().describe("1..100, default 20"),
        page_size: z.string().optional().describe("older name of limit"),
      }),
    },
    responses: {
      200: jsonResponse(PolicyList, "One page of policies"),
      ...authResponses,
      400: jsonResponse(PolicyApiError, "Category not starting with 'dynamic-'"),
    },
  }),
  createRoute({
    method: "post",
    path: COLLECTION,
    summary: "Create a dynamic policy (enabled defaults to false, as in the reference)",
    tags,
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: createBody } } } },
    responses: {
      201: jsonResponse(PolicyAnswer, "Created"),
      ...authResponses,
      400: jsonResponse(PolicyApiError, "INVALID_JSON, or VALIDATION_ERROR with details[{field,message}]"),
      403: licenseOrCap,
      409: jsonResponse(PolicyApiError, "policy_id already taken"),
      413: jsonResponse(PolicyApiError, "Body over 64 KiB"),
    },
  }),
  createRoute({
    method: "get",
    path: "/api/v1/dynamic-policies/{id}",
    summary: "One dynamic policy",
    tags,
    security: basicAuth,
    request: { params: idParam },
    responses: {
      200: jsonResponse(PolicyAnswer, "The policy"),
      ...authResponses,
      404: jsonResponse(PolicyApiError, "Dynamic policy not found"),
    },
  }),
  createRoute({
    method: "put",
    path: "/api/v1/dynamic-policies/{id}",
    summary: "Update a dynamic policy (absent fields unchanged; version + 1)",
    tags,
    security: basicAuth,
    request: { params: idParam, body: { content: { "application/json": { schema: updateBody } } } },
    responses: {
      200: jsonResponse(PolicyAnswer, "Updated"),
      ...authResponses,
      400: jsonResponse(PolicyApiError, "INVALID_JSON, or VALIDATION_ERROR with details[{field,message}]"),
      403: licenseOrCap,
      404: jsonResponse(PolicyApiError, "Dynamic policy not found"),
      413: jsonResponse(PolicyApiError, "Body over 64 KiB"),
    },
  }),
  createRoute({
    method: "delete",
    path: "/api/v1/dynamic-policies/{id}",
    summary: "Delete a dynamic policy (soft delete)",
    tags,
    security: basicAuth,
    request: { params: idParam },
    responses: {
      204: { description: "Deleted" },
      ...authResponses,
      404: jsonResponse(PolicyApiError, "Dynamic policy not found"),
    },
  }),
  createRoute({
    method: "post",
    path: EVALUATE,
    summary: "Evaluate the tenant's enabled dynamic policies against one tool call (first block wins)",
    tags,
    security: basicAuth,
    request: { body: { content: { "application/json": { schema: evaluateBody } } } },
    responses: {
      200: jsonResponse(EvaluationAnswer, "The verdict (allowed or not)"),
      ...authResponses,
      400: jsonResponse(ErrorO, "connector_name is required, Invalid request body: …"),
      403: jsonResponse(
        z.union([ErrorO, authResponses[403].content["application/json"].schema]),
        "Forbidden: tenant_id does not match the authenticated tenant",
      ),
      413: jsonResponse(ErrorO, "Body over 64 KiB"),
    },
  }),
];
