/**
 * Static (pattern) policies over REST (platform.md §9.5 `/api/v1/static-policies`): the system
 * policies, read-only, and the tenant's own, which it creates, edits, enables and deletes. Tenant
 * patterns are checked and compiled with re2js before they are stored; messages follow the
 * reference's static-policy API. A tenant's enabled rows count toward its tier's active-policy cap.
 */
import { and, eq, isNull, or, sql } from "drizzle-orm";
import { RE2JS } from "re2js";
import { z } from "zod";
import { randomHex } from "../crypto";
import type { Tx } from "../db/client";
import { staticPolicies } from "../db/schema";
import type { Identity } from "../http/context";
import type { LimitResponse } from "../limits/envelopes";
import { type Policy, systemPolicies } from "../policy/posture";
import { TENANT_ACTIONS } from "../policy/tenant-policies";
import { policyCapExceeded } from "./policy-cap";

export const PATTERN_MAX_LENGTH = 1000;
const MAX_CAPTURE_GROUPS = 10;

/** Categories a tenant policy may carry: the reference's list plus the ones the system rows use. */
export const TENANT_CATEGORIES = [
  "security-sqli",
  "security-admin",
  "security-dangerous",
  "sensitive-data",
  "pii-global",
  "pii-us",
  "pii-eu",
  "pii-india",
  "pii-singapore",
  "pii-indonesia",
  "code-secrets",
  "code-unsafe",
  "code-compliance",
] as const;

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;

export const STATIC_MESSAGES = {
  nameRequired: "name is required",
  patternRequired: "pattern is required",
  categoryRequired: "category is required",
  actionRequired: "action is required",
  systemTier: "Cannot create system-tier policies via API",
  organizationTier: "Organization tier requires Enterprise license",
  invalidTier: "Invalid policy tier",
  invalidCategory: "Invalid policy category",
  invalidAction: `Invalid policy action (one of: ${TENANT_ACTIONS.join(", ")})`,
  invalidSeverity: `Invalid policy severity (one of: ${SEVERITIES.join(", ")})`,
  notFound: "Policy not found",
  systemModify: "System policies cannot be modified",
  systemDelete: "System policies cannot be deleted",
  systemDisable: "System policies cannot be disabled via API",
} as const;

/**
 * Why a tenant pattern is refused, or undefined: RE2 syntax (re2js accepts Go's), length, and the
 * shapes the reference rejects (too many groups, nested unbounded repeats). re2js runs every
 * pattern in linear time, so the last check guards readability rather than the CPU.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.trim() === "") return "pattern cannot be empty";
  if (pattern.length > PATTERN_MAX_LENGTH) return "pattern exceeds maximum length";
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    return `pattern has invalid RE2 syntax: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (compiled.groupCount() > MAX_CAPTURE_GROUPS) return "pattern has too many capture groups";
  if (/\((?:\.\*|\.\+)\)[*+]/.test(pattern)) return "pattern contains potentially dangerous backreferences";
  return undefined;
}

const invalidPattern = (problem: string) => `Invalid regex pattern: invalid regex pattern: ${problem}`;

/** The create body; the reference's checks and messages come from `createStaticPolicy`. */
export const createStaticPolicyBody = z.object({
  name: z.string().max(255).optional(),
  description: z.string().max(2000).nullish(),
  category: z.string().max(50).optional(),
  tier: z.string().optional(),
  pattern: z.string().optional(),
  action: z.string().optional(),
  severity: z.string().optional(),
  priority: z.number().int().min(0).max(1000).optional(),
  enabled: z.boolean().optional(),
  tags: z.array(z.string().max(64)).max(20).optional(),
  /** Ours: the one tool (`connector_type`) the policy applies to; absent or `*` means every tool. */
  connector_type: z.string().max(255).optional(),
});

export const updateStaticPolicyBody = createStaticPolicyBody.omit({ tier: true, category: true });

export type Problem = { status: 400 | 403 | 404; message: string };
export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

const fail = (status: Problem["status"], message: string): Result<never> => ({
  ok: false,
  problem: { status, message },
});

type Row = typeof staticPolicies.$inferSelect;

/** A policy as the API shows it (the reference's `StaticPolicy` key order). */
export function tenantView(row: Row) {
  const metadata = (row.metadata ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    policy_id: row.policyId,
    name: row.name,
    category: row.category,
    tier: row.tier,
    pattern: row.pattern,
    severity: row.severity,
    ...(row.description ? { description: row.description } : {}),
    action: row.action,
    priority: row.priority,
    enabled: row.enabled,
    tenant_id: row.tenantId,
    ...(row.orgId ? { org_id: row.orgId } : {}),
    tags: row.tags,
    metadata,
    ...(typeof metadata.connector_type === "string" ? { connector_type: metadata.connector_type } : {}),
    risk_level: row.severity === "critical" ? "critical" : (row.riskLevel ?? "medium"),
    allow_override: row.severity !== "critical" && row.allowOverride,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    ...(row.createdBy ? { created_by: row.createdBy } : {}),
    ...(row.updatedBy ? { updated_by: row.updatedBy } : {}),
  };
}

export type PolicyView = ReturnType<typeof tenantView> | ReturnType<typeof systemView>;

/** A system policy as the API shows it (from the bundle: tenants cannot read the seeded rows under RLS). */
export function systemView(policy: Policy) {
  return {
    id: policy.id,
    policy_id: policy.id,
    name: policy.name,
    category: policy.category,
    tier: "system",
    pattern: policy.pattern,
    severity: policy.severity,
    description: policy.description,
    action: Object.values(policy.actions)[0] ?? "log",
    priority: policy.priority,
    enabled: true,
    tenant_id: "global",
    risk_level: policy.riskLevel,
    allow_override: policy.allowOverride,
    version: policy.version,
  };
}

function checkFields(input: { action?: string; severity?: string; pattern?: string }): Problem | undefined {
  if (input.action !== undefined && !(TENANT_ACTIONS as readonly string[]).includes(input.action)) {
    return { status: 400, message: STATIC_MESSAGES.invalidAction };
  }
  if (input.severity !== undefined && !(SEVERITIES as readonly string[]).includes(input.severity)) {
    return { status: 400, message: STATIC_MESSAGES.invalidSeverity };
  }
  if (input.pattern !== undefined) {
    const problem = patternProblem(input.pattern);
    if (problem) return { status: 400, message: invalidPattern(problem) };
  }
  return undefined;
}

export type CreateStaticPolicyInput = z.infer<typeof createStaticPolicyBody>;

/** Validates a create request in the reference's order (messages clients see). */
export function validateCreate(input: CreateStaticPolicyInput): Problem | undefined {
  if (!input.name?.trim()) return { status: 400, message: STATIC_MESSAGES.nameRequired };
  if (!input.pattern) return { status: 400, message: STATIC_MESSAGES.patternRequired };
  if (!input.category) return { status: 400, message: STATIC_MESSAGES.categoryRequired };
  if (!input.action) return { status: 400, message: STATIC_MESSAGES.actionRequired };
  if (input.tier === "system") return { status: 403, message: STATIC_MESSAGES.systemTier };
  if (input.tier === "organization") return { status: 403, message: STATIC_MESSAGES.organizationTier };
  if (input.tier && input.tier !== "tenant") return { status: 400, message: STATIC_MESSAGES.invalidTier };
  if (!(TENANT_CATEGORIES as readonly string[]).includes(input.category)) {
    return { status: 400, message: STATIC_MESSAGES.invalidCategory };
  }
  return checkFields(input);
}

/** Inserts a tenant policy (validated by the caller); `policy_id` is `custom_<12 hex>` unless given. */
export async function insertStaticPolicy(
  tx: Tx,
  identity: Identity,
  actor: string,
  input: CreateStaticPolicyInput,
  policyId = `custom_${randomHex(6)}`,
): Promise<Row> {
  const [row] = await tx
    .insert(staticPolicies)
    .values({
      orgId: identity.orgId,
      tenantId: identity.tenantId,
      policyId,
      name: (input.name ?? "").trim(),
      description: input.description ?? null,
      category: input.category ?? "security-dangerous",
      pattern: input.pattern ?? "",
      severity: input.severity ?? "medium",
      action: input.action ?? "block",
      priority: input.priority ?? 50,
      enabled: input.enabled ?? false,
      tier: "tenant",
      tags: input.tags ?? [],
      metadata: input.connector_type ? { connector_type: input.connector_type } : {},
      allowOverride: input.severity !== "critical",
      createdBy: actor,
      updatedBy: actor,
    })
    .returning();
  if (!row) throw new Error("static policy insert returned no row");
  return row;
}

const byId = (id: string) =>
  z.uuid().safeParse(id).success
    ? or(eq(staticPolicies.id, id), eq(staticPolicies.policyId, id))
    : eq(staticPolicies.policyId, id);

/** The tenant's row with this id (uuid or policy_id), not deleted. */
export async function findTenantPolicy(tx: Tx, id: string): Promise<Row | undefined> {
  const [row] = await tx
    .select()
    .from(staticPolicies)
    .where(and(byId(id), isNull(staticPolicies.deletedAt), eq(staticPolicies.tier, "tenant")));
  return row;
}

export const findSystemPolicy = (id: string) => systemPolicies().find((p) => p.id === id);

/** Applies an update (validated fields only); the version moves on. */
export async function updateStaticPolicy(
  tx: Tx,
  row: Row,
  actor: string,
  input: z.infer<typeof updateStaticPolicyBody>,
): Promise<Result<Row>> {
  const problem = checkFields(input);
  if (problem) return { ok: false, problem };
  if (input.name !== undefined && !input.name.trim()) return fail(400, STATIC_MESSAGES.nameRequired);
  const metadata = { ...(row.metadata as Record<string, unknown>) };
  if (input.connector_type !== undefined) metadata.connector_type = input.connector_type;
  const [updated] = await tx
    .update(staticPolicies)
    .set({
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.pattern !== undefined ? { pattern: input.pattern } : {}),
      ...(input.action !== undefined ? { action: input.action } : {}),
      ...(input.severity !== undefined
        ? { severity: input.severity, allowOverride: input.severity !== "critical" && row.allowOverride }
        : {}),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      metadata,
      version: sql`${staticPolicies.version} + 1`,
      updatedBy: actor,
      updatedAt: new Date(),
    })
    .where(eq(staticPolicies.id, row.id))
    .returning();
  if (!updated) return fail(404, STATIC_MESSAGES.notFound);
  return { ok: true, value: updated };
}

/** Soft-deletes a tenant row. */
export async function deleteStaticPolicy(tx: Tx, row: Row, actor: string): Promise<void> {
  await tx
    .update(staticPolicies)
    .set({ deletedAt: new Date(), enabled: false, updatedBy: actor, updatedAt: new Date() })
    .where(eq(staticPolicies.id, row.id));
}

export interface ListFilters {
  page: number;
  limit: number;
  category?: string;
  tier?: string;
  enabled?: boolean;
  search?: string;
}

/** The system policies and the tenant's live ones (row-level security narrows to the scoped org). */
export async function allStaticPolicies(tx: Tx): Promise<PolicyView[]> {
  const rows = await tx
    .select()
    .from(staticPolicies)
    .where(and(eq(staticPolicies.tier, "tenant"), isNull(staticPolicies.deletedAt)));
  return [...systemPolicies().map(systemView), ...rows.map(tenantView)];
}

/** System and tenant policies, filtered, ordered by priority then name, one page of them. */
export async function listStaticPolicies(tx: Tx, filters: ListFilters) {
  const all = await allStaticPolicies(tx);
  const search = filters.search?.toLowerCase();
  const matching = all
    .filter((p) => !filters.category || p.category === filters.category)
    .filter((p) => !filters.tier || p.tier === filters.tier)
    .filter((p) => filters.enabled === undefined || p.enabled === filters.enabled)
    .filter(
      (p) =>
        !search ||
        p.name.toLowerCase().includes(search) ||
        ("description" in p && (p.description ?? "").toLowerCase().includes(search)),
    )
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const start = (filters.page - 1) * filters.limit;
  return {
    policies: matching.slice(start, start + filters.limit),
    pagination: {
      page: filters.page,
      page_size: filters.limit,
      total_items: matching.length,
      total_pages: Math.ceil(matching.length / filters.limit),
    },
  };
}

/** The reference's pattern tester: compile the pattern and try it on each input. */
export function testPattern(pattern: string, inputs: string[]) {
  const problem = patternProblem(pattern);
  if (problem) return { valid: false, error: `invalid pattern: ${problem}`, pattern, inputs };
  const regex = RE2JS.compile(pattern);
  return { valid: true, matches: inputs.map((input) => ({ input, matched: regex.test(input) })), pattern, inputs };
}

/** Actions the MCP tool `axonflow_create_tenant_policy` offers (the reference's enum). */
export const AGENT_POLICY_ACTIONS = ["block", "warn", "audit", "require_approval"] as const;

export interface AgentPolicyInput {
  name: string;
  /** The tool it applies to, or `*` for every tool. */
  connectorType: string;
  pattern: string;
  action: string;
  description?: string;
}

export type AgentPolicyOutcome =
  | { kind: "created"; result: Record<string, unknown> }
  | { kind: "invalid"; message: string }
  | { kind: "limit"; limit: LimitResponse };

/**
 * A policy an agent creates for its tenant (MCP `axonflow_create_tenant_policy`): enabled at once,
 * counted against the tier's active-policy cap under the cap's lock, and enforced from the next
 * governed call (the reference stores these without enforcing them; we enforce them).
 */
export async function createAgentPolicy(
  tx: Tx,
  identity: Identity,
  actor: string,
  input: AgentPolicyInput,
): Promise<AgentPolicyOutcome> {
  if (!(AGENT_POLICY_ACTIONS as readonly string[]).includes(input.action)) {
    return { kind: "invalid", message: `action must be one of: ${AGENT_POLICY_ACTIONS.join(", ")}` };
  }
  const problem = patternProblem(input.pattern);
  if (problem) return { kind: "invalid", message: invalidPattern(problem) };
  const limit = await policyCapExceeded(tx, identity);
  if (limit) return { kind: "limit", limit };
  const policyId = `tenant-${identity.tenantId.slice(0, 12)}-${crypto.randomUUID()}`;
  const row = await insertStaticPolicy(
    tx,
    identity,
    actor,
    {
      name: input.name,
      description: input.description,
      category: "security-dangerous",
      pattern: input.pattern,
      action: input.action,
      enabled: true,
      connector_type: input.connectorType,
    },
    policyId,
  );
  const everyTool = input.connectorType === "*";
  return {
    kind: "created",
    result: {
      action: row.action,
      applies_to_connectors: everyTool ? "all" : [input.connectorType],
      connector_type: input.connectorType,
      created: true,
      enabled: row.enabled,
      enforced: true,
      id: row.id,
      message: `Successfully created tenant-scoped policy "${row.name}". It will apply to subsequent governed calls.`,
      name: row.name,
      pattern: row.pattern,
      policy_id: row.policyId,
      success: true,
    },
  };
}
