/**
 * Reading the tenant's audit trail (platform.md §9.4): search, the latest rows and the compliance
 * summary. The REST routes (src/features/audit/read-routes.ts) and the MCP tools share these.
 * Every function takes a transaction from withOrgScope, so row-level security already limits rows
 * to the caller's org; each query also filters `tenant_id`, and no row older than the tier's audit
 * retention is ever returned.
 *
 * Rules where our rows differ from the reference's:
 * - `user_id` is emitted as the stored string (the tool-call body's `user_id`), "" when absent; the
 *   reference's column is an int that is always 0, and no known client reads it.
 * - `policy_name` matches a row when it equals `policy_details.policy_name` (the reference's key),
 *   `policy_details.tool_name` (tool-call audits), an element of `policy_details.matched_policies`
 *   (check rows) or `policy_details.policies_applied` (tool-call audits), or the row's decision
 *   (`policy_decisions`) has that policy id or a match with that policy name.
 * - `action` matches every spelling of a verdict (`deny` finds `blocked` rows and vice versa); any
 *   other value matches `policy_decision` exactly.
 * - `user_email` and `client_id` match case-insensitively anywhere in the value, `%` and `_` literally.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import { TIERS, type Tier } from "../tiers";

/** Who reads: the scope comes from the credential, never from the request. */
export interface AuditScope {
  tenantId: string;
  tier: Tier;
  nowMs: number;
}

/** Search filters; empty strings count as absent (as the reference's `!= ""` checks). */
export interface AuditSearchFilters {
  userEmail?: string;
  clientId?: string;
  startTime?: Date;
  endTime?: Date;
  requestType?: string;
  decisionId?: string;
  policyName?: string;
  overrideId?: string;
  action?: string;
  /** ≤ 0 or absent → 100; above 1000 → 1000. */
  limit?: number;
  /** Below 0 → 0. */
  offset?: number;
}

/** One row as the reference's Go `AuditEntry` marshals it (key order is the struct's). */
export interface AuditEntry {
  id: string;
  request_id: string;
  timestamp: string;
  user_id: string;
  user_email: string;
  user_role: string;
  client_id: string;
  tenant_id: string;
  org_id: string;
  request_type: string;
  query: string;
  query_hash: string;
  policy_decision: string;
  policy_details: Record<string, unknown> | null;
  provider: string;
  model: string;
  response_time_ms: number;
  tokens_used: number;
  cost: number;
  redacted_fields: unknown[] | null;
  error_message?: string;
  response_sample: string;
  compliance_flags: unknown[] | null;
  security_metrics: Record<string, unknown> | null;
  decision_id?: string;
}

/** `POST /api/v1/audit/search` and `GET /api/v1/audit/tenant/{id}` answer this. */
export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  limit: number;
  offset: number;
}

/** The reference's `ComplianceSummary` (`POST /api/v1/audit/summary`, MCP `get_policy_stats`). */
export interface ComplianceSummary {
  total_requests: number;
  allowed_requests: number;
  blocked_requests: number;
  modified_requests: number;
  needs_approval_requests: number;
  error_requests: number;
  block_rate_percent: number;
  avg_latency_ms: number;
  total_events: number;
  by_severity: Record<string, number>;
  by_action: Record<string, number>;
  top_policies: Array<{ policy_name: string; trigger_count: number; block_count: number }>;
  compliance_score: number;
}

export const AUDIT_LIMITS = { searchDefault: 100, tenantDefault: 50, max: 1000, topPolicies: 10 } as const;

/** The canonical verdicts (the reference's ADR-058) and every spelling writers have stored for each. */
export const VERDICT_SPELLINGS = {
  allowed: ["allowed", "allow"],
  blocked: ["blocked", "block", "deny", "denied"],
  redacted: ["redacted", "redact", "masked", "modified"],
  needs_approval: [
    "needs_approval",
    "needs-approval",
    "require_approval",
    "requires_approval",
    "pending_approval",
    "awaiting_approval",
  ],
  error: ["error", "errored", "failed"],
} as const;

export type Verdict = keyof typeof VERDICT_SPELLINGS;

/**
 * `policy_decision` values that mark lifecycle events rather than a governed request's verdict:
 * counted in `total_events` and `by_action`, never in the verdict buckets.
 */
export const NON_VERDICT_DECISIONS = ["override_lifecycle", "license_lifecycle"] as const;

const VERDICTS = Object.keys(VERDICT_SPELLINGS) as Verdict[];

/** The canonical verdict a spelling stands for (case-insensitive), if any. */
export function verdictOf(spelling: string): Verdict | undefined {
  const wanted = spelling.trim().toLowerCase();
  return VERDICTS.find((v) => (VERDICT_SPELLINGS[v] as readonly string[]).includes(wanted));
}

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|([+-])(\d\d):(\d\d))$/;

/**
 * Parses an RFC 3339 timestamp as Go's `time.Parse(time.RFC3339, …)` accepts it (fractional
 * seconds allowed, fields range-checked, offset required); undefined for anything else.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const daysInMonth = month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > daysInMonth) return undefined;
  const millis = Math.floor(Number(`0${m[7] ?? ""}`) * 1000);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = m[9] === "-" ? -1 : 1;
  return new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The oldest instant the scope's tier may still see. */
export function retentionStart(scope: AuditScope): Date {
  return new Date(scope.nowMs - TIERS[scope.tier].auditRetentionDays * 86_400_000);
}

/** Go's RFC3339Nano: fraction without trailing zeros, none when whole. */
function rfc3339Nano(utc: string): string {
  return `${utc.replace(/\.?0+$/, "")}Z`;
}

/** A LIKE pattern matching `text` literally anywhere. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** SQL of a column-value list (`policy_decision` in every spelling of a verdict). */
const oneOf = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

const ENTRY_COLUMNS = sql`
  a.id, a.request_id,
  to_char(a.timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as ts,
  a.user_id, a.user_email, a.user_role, a.client_id, a.tenant_id, a.org_id, a.request_type, a.query,
  a.query_hash, a.policy_decision, a.policy_details, a.provider, a.model, a.response_time_ms, a.tokens_used,
  a.cost, a.redacted_fields, a.error_message, a.response_sample, a.compliance_flags, a.security_metrics,
  a.decision_id`;

interface EntryRow extends Record<string, unknown> {
  id: string;
  request_id: string;
  ts: string;
  user_id: string | null;
  user_email: string;
  user_role: string;
  client_id: string;
  tenant_id: string;
  org_id: string;
  request_type: string;
  query: string;
  query_hash: string;
  policy_decision: string;
  policy_details: Record<string, unknown> | null;
  provider: string | null;
  model: string | null;
  response_time_ms: string | number | null;
  tokens_used: number | null;
  cost: string | number | null;
  redacted_fields: unknown[] | null;
  error_message: string | null;
  response_sample: string | null;
  compliance_flags: unknown[] | null;
  security_metrics: Record<string, unknown> | null;
  decision_id: string | null;
}

function toEntry(row: EntryRow): AuditEntry {
  return {
    id: row.id,
    request_id: row.request_id,
    timestamp: rfc3339Nano(row.ts),
    user_id: row.user_id ?? "",
    user_email: row.user_email,
    user_role: row.user_role,
    client_id: row.client_id,
    tenant_id: row.tenant_id,
    org_id: row.org_id,
    request_type: row.request_type,
    query: row.query,
    query_hash: row.query_hash,
    policy_decision: row.policy_decision,
    policy_details: row.policy_details,
    provider: row.provider ?? "",
    model: row.model ?? "",
    response_time_ms: Number(row.response_time_ms ?? 0),
    tokens_used: Number(row.tokens_used ?? 0),
    cost: Number(row.cost ?? 0),
    redacted_fields: row.redacted_fields,
    ...(row.error_message ? { error_message: row.error_message } : {}),
    response_sample: row.response_sample ?? "",
    compliance_flags: row.compliance_flags,
    security_metrics: row.security_metrics,
    ...(row.decision_id ? { decision_id: row.decision_id } : {}),
  };
}

/** The WHERE clause of a search: scope and retention first, then each filter given. */
function searchConditions(scope: AuditScope, filters: AuditSearchFilters): SQL {
  const cutoff = retentionStart(scope);
  const start = filters.startTime && filters.startTime > cutoff ? filters.startTime : cutoff;
  const conditions: SQL[] = [sql`a.tenant_id = ${scope.tenantId}`, sql`a.timestamp >= ${start.toISOString()}`];
  if (filters.endTime) conditions.push(sql`a.timestamp <= ${filters.endTime.toISOString()}`);
  if (filters.userEmail) conditions.push(sql`a.user_email ilike ${contains(filters.userEmail)}`);
  if (filters.clientId) conditions.push(sql`a.client_id ilike ${contains(filters.clientId)}`);
  if (filters.requestType) conditions.push(sql`a.request_type = ${filters.requestType}`);
  if (filters.decisionId) {
    conditions.push(
      sql`(a.decision_id = ${filters.decisionId} or a.policy_details->>'decision_id' = ${filters.decisionId})`,
    );
  }
  if (filters.overrideId) conditions.push(sql`a.policy_details->>'override_id' = ${filters.overrideId}`);
  if (filters.action) {
    const verdict = verdictOf(filters.action);
    conditions.push(
      verdict
        ? sql`a.policy_decision in (${oneOf(VERDICT_SPELLINGS[verdict])})`
        : sql`a.policy_decision = ${filters.action}`,
    );
  }
  if (filters.policyName) {
    const name = filters.policyName;
    const element = sql`jsonb_build_array(${name}::text)`;
    conditions.push(sql`(
      a.policy_details->>'policy_name' = ${name}
      or a.policy_details->>'tool_name' = ${name}
      or a.policy_details->'matched_policies' @> ${element}
      or a.policy_details->'policies_applied' @> ${element}
      or exists (
        select 1 from policy_decisions d
        where d.decision_id = a.decision_id and d.tenant_id = a.tenant_id
          and (d.policy_id = ${name} or d.policy_matches @> jsonb_build_array(jsonb_build_object('policy_name', ${name}::text)))
      ))`);
  }
  return sql.join(conditions, sql` and `);
}

const clamp = (value: number | undefined, fallback: number) =>
  value === undefined || value <= 0 ? fallback : Math.min(Math.floor(value), AUDIT_LIMITS.max);

/** The tenant's rows matching `filters`, newest first, with the count of all matches. */
export async function searchAudit(tx: Tx, scope: AuditScope, filters: AuditSearchFilters): Promise<AuditPage> {
  const limit = clamp(filters.limit, AUDIT_LIMITS.searchDefault);
  const offset = Math.max(0, Math.floor(filters.offset ?? 0));
  const where = searchConditions(scope, filters);
  const { rows } = await tx.execute<EntryRow & { total: string | number }>(sql`
    select ${ENTRY_COLUMNS}, count(*) over () as total
    from audit_logs a
    where ${where}
    order by a.timestamp desc, a.id desc
    limit ${limit} offset ${offset}`);
  let total = Number(rows[0]?.total ?? 0);
  // A page past the end has no row to carry the window count.
  if (rows.length === 0 && offset > 0) {
    const counted = await tx.execute<{ n: number }>(sql`select count(*)::int as n from audit_logs a where ${where}`);
    total = counted.rows[0]?.n ?? 0;
  }
  return { entries: rows.map(toEntry), total, limit, offset };
}

/** The tenant's latest `limit` rows (1..1000, default 50) within retention; `total` counts the page. */
export async function tenantAudit(tx: Tx, scope: AuditScope, limit?: number): Promise<AuditPage> {
  const effective = clamp(limit, AUDIT_LIMITS.tenantDefault);
  const { rows } = await tx.execute<EntryRow>(sql`
    select ${ENTRY_COLUMNS}
    from audit_logs a
    where a.tenant_id = ${scope.tenantId} and a.timestamp >= ${retentionStart(scope).toISOString()}
    order by a.timestamp desc, a.id desc
    limit ${effective}`);
  return { entries: rows.map(toEntry), total: rows.length, limit: effective, offset: 0 };
}

/** Verdict of a stored spelling in SQL; NULL for lifecycle markers, `error` for anything unknown. */
const VERDICT_CASE = sql`case
  ${sql.join(
    VERDICTS.map((v) => sql`when a.policy_decision in (${oneOf(VERDICT_SPELLINGS[v])}) then ${v}`),
    sql` `,
  )}
  when a.policy_decision in (${oneOf(NON_VERDICT_DECISIONS)}) then null
  else 'error' end`;

interface SummaryRow extends Record<string, unknown> {
  total_events: number;
  allowed: number;
  blocked: number;
  redacted: number;
  needs_approval: number;
  error: number;
  avg_latency: number | null;
  by_action: Record<string, number>;
  top_policies: Array<{ policy_name: string; trigger_count: number; block_count: number }>;
}

/** Keys in byte order, as Go's encoder writes a map. */
const sortedKeys = (record: Record<string, number>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The compliance summary of the tenant's rows in `[start, end]` (start raised to the retention
 * cutoff). Top policies are named by the reference's `policy_details.policy_name` or, for our
 * check rows, by the names of their decision's matched policies.
 */
export async function summarizeAudit(
  tx: Tx,
  scope: AuditScope,
  range: { start: Date; end: Date },
): Promise<ComplianceSummary> {
  const cutoff = retentionStart(scope);
  const start = range.start > cutoff ? range.start : cutoff;
  const { rows } = await tx.execute<SummaryRow>(sql`
    with r as (
      select a.id, a.request_type, a.response_time_ms, a.decision_id, a.policy_details, ${VERDICT_CASE} as verdict
      from audit_logs a
      where a.tenant_id = ${scope.tenantId}
        and a.timestamp >= ${start.toISOString()} and a.timestamp <= ${range.end.toISOString()}
    ),
    named as (
      select r.id, r.verdict, r.policy_details->>'policy_name' as name
      from r where jsonb_typeof(r.policy_details->'policy_name') = 'string'
      union
      select r.id, r.verdict, m->>'policy_name'
      from r
      join policy_decisions d on d.decision_id = r.decision_id and d.tenant_id = ${scope.tenantId}
      cross join lateral jsonb_array_elements(
        case when jsonb_typeof(d.policy_matches) = 'array' then d.policy_matches else '[]'::jsonb end) m
      where r.policy_details->>'policy_name' is null
    )
    select
      (select count(*)::int from r) as total_events,
      (select count(*)::int from r where verdict = 'allowed') as allowed,
      (select count(*)::int from r where verdict = 'blocked') as blocked,
      (select count(*)::int from r where verdict = 'redacted') as redacted,
      (select count(*)::int from r where verdict = 'needs_approval') as needs_approval,
      (select count(*)::int from r where verdict = 'error') as error,
      (select avg(response_time_ms)::float8 from r where response_time_ms > 0) as avg_latency,
      (select coalesce(jsonb_object_agg(request_type, n), '{}'::jsonb)
         from (select request_type, count(*)::int as n from r group by request_type) t) as by_action,
      (select coalesce(jsonb_agg(jsonb_build_object(
                'policy_name', name, 'trigger_count', triggers, 'block_count', blocks) order by triggers desc, name),
              '[]'::jsonb)
         from (select name, count(*)::int as triggers, count(*) filter (where verdict = 'blocked')::int as blocks
               from named where name is not null and name <> ''
               group by name order by triggers desc, name limit ${AUDIT_LIMITS.topPolicies}) t) as top_policies`);
  const row = rows[0];
  if (!row) throw new Error("summary query returned no row");
  const total = row.allowed + row.blocked + row.redacted + row.needs_approval + row.error;
  const severity: Record<string, number> = {
    critical: row.blocked,
    warning: row.redacted + row.error,
    info: row.needs_approval + row.allowed,
  };
  return {
    total_requests: total,
    allowed_requests: row.allowed,
    blocked_requests: row.blocked,
    modified_requests: row.redacted,
    needs_approval_requests: row.needs_approval,
    error_requests: row.error,
    block_rate_percent: total === 0 ? 0 : (row.blocked / total) * 100,
    avg_latency_ms: row.avg_latency ?? 0,
    total_events: row.total_events,
    by_severity: sortedKeys(Object.fromEntries(Object.entries(severity).filter(([, n]) => n > 0))),
    by_action: sortedKeys(row.by_action),
    top_policies: row.top_policies,
    compliance_score: total === 0 ? 100 : ((total - row.blocked) / total) * 100,
  };
}
