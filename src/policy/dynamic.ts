/**
 * Dynamic policies (platform.md §9.4, the reference's MCP dynamic-policy handler): conditions over a
 * request's context rather than a pattern, evaluated by `POST /api/v1/mcp/evaluate-policies`. Pure
 * apart from the injected counter, which rate-limit and budget policies spend.
 *
 * Where this differs from the reference, on purpose:
 * - time-access reads the request's `request_time` when given (else now) for every form; the
 *   reference reads server time for `hour`/`day` and `request_time` only for the business-hours
 *   window. `request_time` is the caller's word, so a time-access policy binds honest callers only,
 *   as the reference's business-hours form already does. Hours and days are UTC.
 * - the condition policies (mcp, connector, content) know every operator the CRUD API accepts
 *   (not_contains, contains_any, in, not_in, greater_than, less_than too); the reference's MCP
 *   handler knows four and treats the others as "no match".
 * - counters are sliding windows per policy (the reference: fixed windows shared by every
 *   rate-limit policy of a tenant/user/connector), and a policy's request count is capped at
 *   {@link MAX_COUNTED_REQUESTS} when it is written.
 * - regexes run on re2js (linear time, RE2 syntax like Go's regexp).
 */
import { RE2JS } from "re2js";

/** The policy types evaluate-policies evaluates, and the only ones the CRUD API accepts. */
export const DYNAMIC_POLICY_TYPES = [
  "mcp",
  "connector",
  "content",
  "rate-limit",
  "budget",
  "time-access",
  "role-access",
] as const;
export type DynamicPolicyType = (typeof DYNAMIC_POLICY_TYPES)[number];

/** The reference's `ValidPolicyOperators`. */
export const CONDITION_OPERATORS = [
  "equals",
  "not_equals",
  "contains",
  "not_contains",
  "contains_any",
  "regex",
  "greater_than",
  "less_than",
  "in",
  "not_in",
] as const;

/** The reference's `ValidActionTypes`; only `block` stops a request. */
export const ACTION_TYPES = ["block", "redact", "alert", "log", "route", "modify_risk"] as const;

/**
 * Most requests a rate-limit or budget policy may count per window: the counter keeps one
 * timestamp per admitted request, so this bounds its storage.
 */
export const MAX_COUNTED_REQUESTS = 10_000;

export interface PolicyCondition {
  field: string;
  operator: string;
  value?: unknown;
}

export interface PolicyAction {
  type: string;
  config?: Record<string, unknown>;
}

/** A stored policy as the evaluator needs it. */
export interface DynamicPolicy {
  policyId: string;
  name: string;
  type: string;
  conditions: readonly PolicyCondition[];
  actions: readonly PolicyAction[];
}

/** The evaluate-policies request after the route has settled the tenant. */
export interface EvaluationRequest {
  tenantId: string;
  userId: string;
  userRole: string;
  connectorName: string;
  operation: string;
  statement: string;
  parameters?: Record<string, unknown>;
  /** The caller's `request_time`, when it sent one. */
  requestTime?: Date;
}

/** Spends one request of a sliding window of `limit` per `windowMs` under `key`. */
export type Counter = (key: string, limit: number, windowMs: number) => Promise<{ allowed: boolean }>;

export interface EvaluationContext {
  counter: Counter;
  nowMs: number;
}

/** One entry of `matched_policies` (the reference's key order). */
export interface PolicyMatch {
  policy_id: string;
  policy_name: string;
  policy_type: string;
  action: string;
  reason?: string;
}

export interface EvaluationResult {
  allowed: boolean;
  blockReason?: string;
  policiesEvaluated: number;
  matches: PolicyMatch[];
}

interface Outcome {
  matched: boolean;
  allowed: boolean;
  reason: string;
}

const NO_MATCH: Outcome = { matched: false, allowed: true, reason: "" };
const ALLOWED: Outcome = { matched: true, allowed: true, reason: "" };
const denied = (reason: string): Outcome => ({ matched: true, allowed: false, reason });

/**
 * Evaluates `policies` in their order (the caller sorts them by priority). Rate-limit, time- and
 * role-access policies count as matched even when they allow; the first policy that does not
 * allow decides the answer and ends the evaluation, so later counters are not spent.
 */
export async function evaluateDynamicPolicies(
  policies: readonly DynamicPolicy[],
  request: EvaluationRequest,
  context: EvaluationContext,
): Promise<EvaluationResult> {
  const matches: PolicyMatch[] = [];
  for (const policy of policies) {
    const outcome = await evaluatePolicy(policy, request, context);
    if (!outcome.matched) continue;
    matches.push({
      policy_id: policy.policyId,
      policy_name: policy.name,
      policy_type: policy.type,
      action: policy.actions[0]?.type ?? "",
      ...(outcome.reason ? { reason: outcome.reason } : {}),
    });
    if (!outcome.allowed) {
      return {
        allowed: false,
        ...(outcome.reason ? { blockReason: outcome.reason } : {}),
        policiesEvaluated: policies.length,
        matches,
      };
    }
  }
  return { allowed: true, policiesEvaluated: policies.length, matches };
}

async function evaluatePolicy(
  policy: DynamicPolicy,
  request: EvaluationRequest,
  context: EvaluationContext,
): Promise<Outcome> {
  switch (policy.type) {
    case "mcp":
    case "connector":
    case "content":
      return evaluateConditions(policy, request);
    case "rate-limit":
      return evaluateRateLimit(policy, request, context.counter);
    case "budget":
      return evaluateBudget(policy, request, context.counter);
    case "time-access":
      return evaluateTimeAccess(policy, request.requestTime ?? new Date(context.nowMs));
    case "role-access":
      return evaluateRoleAccess(policy, request.userRole);
    default:
      return NO_MATCH;
  }
}

// ---- condition policies (mcp, connector, content) ----

/**
 * All conditions must hold; a policy without conditions never matches (otherwise a block action
 * on an emptied policy would deny every call of the tenant).
 */
function evaluateConditions(policy: DynamicPolicy, request: EvaluationRequest): Outcome {
  if (policy.conditions.length === 0) return NO_MATCH;
  if (!policy.conditions.every((condition) => conditionHolds(condition, request))) return NO_MATCH;
  const block = policy.actions.find((action) => action.type === "block");
  if (!block) return ALLOWED;
  const reason = block.config?.reason;
  return denied(typeof reason === "string" ? reason : "Policy blocked request");
}

/** The request value a condition field names; undefined for unknown fields and absent parameters. */
function fieldValue(field: string, request: EvaluationRequest): unknown {
  switch (field) {
    case "connector":
    case "connector_name":
      return request.connectorName;
    case "operation":
      return request.operation;
    case "user.role":
      return request.userRole;
    case "tenant_id":
      return request.tenantId;
    case "parameter_count":
      return Object.keys(request.parameters ?? {}).length;
    case "query":
    case "statement":
      return request.statement;
  }
  if (!field.startsWith("parameters.")) return undefined;
  const key = field.slice("parameters.".length);
  const parameters = request.parameters;
  return parameters && Object.hasOwn(parameters, key) ? parameters[key] : undefined;
}

function conditionHolds(condition: PolicyCondition, request: EvaluationRequest): boolean {
  const actual = fieldValue(condition.field, request);
  // An unknown field is no match whatever the operator (not_equals included), as in the reference.
  if (actual === undefined) return false;
  const text = goString(actual);
  const { value } = condition;
  switch (condition.operator) {
    case "equals":
      return text === goString(value);
    case "not_equals":
      return text !== goString(value);
    case "contains":
      return text.includes(goString(value));
    case "not_contains":
      return !text.includes(goString(value));
    case "contains_any":
      return Array.isArray(value) && value.some((item) => text.includes(goString(item)));
    case "in":
      return Array.isArray(value) && value.some((item) => goString(item) === text);
    case "not_in":
      return Array.isArray(value) && !value.some((item) => goString(item) === text);
    case "regex":
      return typeof value === "string" && (compiledRegex(value)?.test(text) ?? false);
    case "greater_than":
    case "less_than": {
      const [left, right] = [toNumber(actual), toNumber(value)];
      if (left === undefined || right === undefined) return false;
      return condition.operator === "greater_than" ? left > right : left < right;
    }
    default:
      return false;
  }
}

/**
 * A JSON value as Go's `fmt.Sprintf("%v", v)` prints it, so stored policies compare the way they
 * do in the reference: `1e+06` for a million, `[a b]` for arrays, `map[k:v]` with sorted keys.
 */
function goString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return goFloat(value);
  if (typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goString).join(" ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, v]) => `${k}:${goString(v)}`).join(" ")}]`;
}

/** Go's shortest `%v` of a float64: exponent form from 1e+06 up and below 1e-04. */
function goFloat(n: number): string {
  if (!Number.isFinite(n) || n === 0) return String(n);
  const [mantissa = "", exponentText = "0"] = n.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 6) return String(n);
  const sign = exponent < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

/** JSON numbers, and strings holding one. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

const regexCache = new Map<string, RE2JS | null>();
/** Patterns an isolate keeps compiled (the oldest dropped first). */
const REGEX_CACHE_SIZE = 256;

/** The compiled pattern, or null when it does not compile (a broken policy never matches). */
function compiledRegex(pattern: string): RE2JS | null {
  if (regexCache.has(pattern)) return regexCache.get(pattern) ?? null;
  let compiled: RE2JS | null;
  try {
    compiled = RE2JS.compile(pattern);
  } catch {
    compiled = null;
  }
  if (regexCache.size >= REGEX_CACHE_SIZE) regexCache.delete(regexCache.keys().next().value as string);
  regexCache.set(pattern, compiled);
  return compiled;
}

// ---- counted policies (rate-limit, budget) ----

/** A rate-limit policy's limit: conditions read in order, as the reference does. */
export function rateLimitOf(
  conditions: readonly PolicyCondition[],
): { maxRequests: number; windowSeconds: number; index: number } | undefined {
  let maxRequests = 0;
  let windowSeconds = 60;
  let index = -1;
  conditions.forEach((condition, i) => {
    const { value } = condition;
    if (typeof value !== "number") return;
    switch (condition.field) {
      case "requests_per_minute":
        [maxRequests, windowSeconds, index] = [Math.trunc(value), 60, i];
        break;
      case "requests_per_hour":
        [maxRequests, windowSeconds, index] = [Math.trunc(value), 3600, i];
        break;
      case "max_requests":
        [maxRequests, index] = [Math.trunc(value), i];
        break;
      case "window_seconds":
        windowSeconds = Math.trunc(value);
        break;
    }
  });
  return maxRequests > 0 && windowSeconds > 0 ? { maxRequests, windowSeconds, index } : undefined;
}

/**
 * A budget policy as a request count: `floor(max_budget / cost_per_request)` requests per
 * `period_days` (defaults 30 days and $0.001). Undefined when nothing limits (no budget, a cost or
 * period of zero), which the reference also lets through.
 */
export function budgetOf(
  conditions: readonly PolicyCondition[],
): { requests: number; maxBudget: number; costPerRequest: number; periodDays: number; index: number } | undefined {
  let maxBudget = 0;
  let periodDays = 30;
  let costPerRequest = 0.001;
  let index = -1;
  conditions.forEach((condition, i) => {
    const { value } = condition;
    if (typeof value !== "number") return;
    switch (condition.field) {
      case "max_budget":
      case "budget_limit":
        [maxBudget, index] = [value, i];
        break;
      case "period_days":
        periodDays = Math.trunc(value);
        break;
      case "cost_per_request":
        costPerRequest = value;
        break;
    }
  });
  if (maxBudget <= 0 || costPerRequest <= 0 || periodDays <= 0) return undefined;
  // The epsilon keeps $0.01 at $0.001 ten requests, not nine (binary floating point).
  const requests = Math.floor(maxBudget / costPerRequest + 1e-9);
  return { requests, maxBudget, costPerRequest, periodDays, index };
}

async function evaluateRateLimit(policy: DynamicPolicy, request: EvaluationRequest, counter: Counter) {
  const limit = rateLimitOf(policy.conditions);
  if (!limit) return ALLOWED;
  // Per policy, unlike the reference: two policies with different windows cannot share one window.
  const key = `ratelimit:${policy.policyId}:${request.tenantId}:${request.userId}:${request.connectorName}`;
  const { allowed } = await counter(key, limit.maxRequests, limit.windowSeconds * 1000);
  return allowed
    ? ALLOWED
    : denied(`Rate limit exceeded: ${limit.maxRequests} requests per ${limit.windowSeconds} seconds`);
}

async function evaluateBudget(policy: DynamicPolicy, request: EvaluationRequest, counter: Counter) {
  const budget = budgetOf(policy.conditions);
  if (!budget) return ALLOWED;
  const exceeded = () =>
    denied(
      `Budget exceeded: $${(budget.requests * budget.costPerRequest).toFixed(2)} used of $${budget.maxBudget.toFixed(2)} limit`,
    );
  // A budget below one request's cost admits nothing; a counter limit of 0 would mean "no limit".
  if (budget.requests < 1) return exceeded();
  const who = request.userId || "org";
  const key = `budget:${policy.policyId}:${request.tenantId}:${who}`;
  const { allowed } = await counter(key, budget.requests, budget.periodDays * 86_400_000);
  return allowed ? ALLOWED : exceeded();
}

// ---- time-access and role-access ----

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

interface BusinessHours {
  timezone: string;
  start?: number;
  end?: number;
}

/** The timezone-anchored window (`timezone`, `business_hours_start`, `business_hours_end`), if declared. */
function businessHoursOf(conditions: readonly PolicyCondition[]): BusinessHours | undefined {
  const window: BusinessHours = { timezone: "" };
  for (const { field, value } of conditions) {
    if (field === "timezone" && typeof value === "string") window.timezone = value;
    const hour = toNumber(value);
    if (field === "business_hours_start" && hour !== undefined) window.start = Math.trunc(hour);
    if (field === "business_hours_end" && hour !== undefined) window.end = Math.trunc(hour);
  }
  return window.start !== undefined || window.end !== undefined ? window : undefined;
}

const hourFormats = new Map<string, Intl.DateTimeFormat | null>();

/** The hour of `at` in `timezone`; UTC for an empty or unknown zone. */
function hourIn(at: Date, timezone: string): number {
  let format = hourFormats.get(timezone);
  if (format === undefined) {
    format = null;
    try {
      if (timezone)
        format = new Intl.DateTimeFormat("en-US", { timeZone: timezone, hour: "numeric", hourCycle: "h23" });
    } catch {
      // RangeError for an unknown zone: UTC below.
    }
    // Bounded by the distinct zones stored in policies, a short list in practice.
    if (hourFormats.size < 64) hourFormats.set(timezone, format);
  }
  return format ? Number(format.format(at)) : at.getUTCHours();
}

function businessHoursReason(window: BusinessHours): string {
  const zone = window.timezone || "UTC";
  const hh = (hour: number) => `${String(hour).padStart(2, "0")}:00`;
  if (window.start !== undefined && window.end !== undefined) {
    return `Access outside business hours (${hh(window.start)}–${hh(window.end)} ${zone})`;
  }
  if (window.start !== undefined) return `Access before business hours (opens ${hh(window.start)} ${zone})`;
  return `Access after business hours (closes ${hh(window.end ?? 0)} ${zone})`;
}

function evaluateTimeAccess(policy: DynamicPolicy, at: Date): Outcome {
  const window = businessHoursOf(policy.conditions);
  if (window) {
    const hour = hourIn(at, window.timezone);
    const outside =
      (window.start !== undefined && hour < window.start) || (window.end !== undefined && hour >= window.end);
    if (!outside) return NO_MATCH;
    const first = policy.actions[0];
    const configured = first?.config?.reason;
    const reason = typeof configured === "string" && configured ? configured : businessHoursReason(window);
    // Outside the window the first action decides: block (or an approval) holds the request,
    // alert and log only record it.
    const holds = first?.type === "block" || first?.type === "require_approval";
    return { matched: true, allowed: !holds, reason };
  }
  for (const { field, operator, value } of policy.conditions) {
    if (field === "hour" && typeof value === "number") {
      const hour = at.getUTCHours();
      if (operator === "greater_than" && hour <= Math.trunc(value))
        return denied("Access denied: Outside allowed hours");
      if (operator === "less_than" && hour >= Math.trunc(value)) return denied("Access denied: Outside allowed hours");
    }
    if (field === "day" && operator === "in" && Array.isArray(value)) {
      if (!value.includes(WEEKDAYS[at.getUTCDay()])) return denied("Access denied: Outside allowed days");
    }
  }
  return ALLOWED;
}

function evaluateRoleAccess(policy: DynamicPolicy, role: string): Outcome {
  for (const { field, operator, value } of policy.conditions) {
    if (field !== "user.role") continue;
    if (operator === "in" && Array.isArray(value) && !value.some((r) => r === role || r === "*")) {
      return denied("Access denied: Insufficient role permissions");
    }
    if (operator === "not_in" && Array.isArray(value) && value.includes(role)) {
      return denied("Access denied: Role explicitly blocked");
    }
    if (operator === "equals" && value !== role) return denied("Access denied: Role mismatch");
  }
  return ALLOWED;
}

// ---- definition checks (create and update) ----

/** One entry of a validation error's `details`. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * The checks a policy's conditions and actions must pass before they are stored, with the
 * reference's messages: a field and a known operator per condition, regexes that compile (re2js),
 * a known type per action; and, for counted policies, at most {@link MAX_COUNTED_REQUESTS}
 * requests per window.
 */
export function definitionErrors(
  type: string,
  conditions: readonly PolicyCondition[],
  actions: readonly PolicyAction[],
): FieldError[] {
  const errors: FieldError[] = [];
  conditions.forEach((condition, i) => {
    const message = conditionError(condition);
    if (message) errors.push({ field: `conditions[${i}]`, message });
  });
  actions.forEach((action, i) => {
    if (!(ACTION_TYPES as readonly string[]).includes(action.type)) {
      errors.push({ field: `actions[${i}]`, message: `invalid action type: ${action.type}` });
    }
  });
  if (type === "rate-limit") {
    const limit = rateLimitOf(conditions);
    if (limit && limit.maxRequests > MAX_COUNTED_REQUESTS) {
      errors.push({
        field: `conditions[${limit.index}]`,
        message: `${conditions[limit.index]?.field} allows ${limit.maxRequests} requests per window; at most ${MAX_COUNTED_REQUESTS} are supported`,
      });
    }
  }
  if (type === "budget") {
    const budget = budgetOf(conditions);
    if (budget && budget.requests > MAX_COUNTED_REQUESTS) {
      errors.push({
        field: `conditions[${budget.index}]`,
        message: `${conditions[budget.index]?.field} / cost_per_request allows ${budget.requests} requests per period; at most ${MAX_COUNTED_REQUESTS} are supported`,
      });
    }
  }
  return errors;
}

function conditionError({ field, operator, value }: PolicyCondition): string | undefined {
  if (!field) return "field is required";
  if (!operator) return "operator is required";
  if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) return `invalid operator: ${operator}`;
  if (operator === "regex" && typeof value === "string") {
    try {
      RE2JS.compile(value);
    } catch (error) {
      return `invalid regex pattern: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}
