/**
 * A tenant's dynamic (condition) policies as stored and shown: the row view the policy API and the
 * MCP `list_policies` tool answer, and the tenant-scoped reads. Queries take a transaction from
 * withOrgScope; they also filter on the tenant, so a row is never read across tenants.
 */
import { and, eq, isNull, or } from "drizzle-orm";
import type { Tx } from "../db/client";
import { dynamicPolicies } from "../db/schema";
import type { Identity } from "../http/context";
import type { PolicyAction, PolicyCondition } from "../policy/dynamic";

/** The category of a row stored without one. */
export const DEFAULT_CATEGORY = "dynamic-security";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Row = typeof dynamicPolicies.$inferSelect;
export interface StoredMetadata {
  category?: unknown;
  tags?: unknown;
}

/** Stored JSON as the evaluator reads it; rows from other writers may hold anything. */
export function storedList<T>(value: unknown): T[] {
  return Array.isArray(value) ? value.filter((item): item is T => typeof item === "object" && item !== null) : [];
}

/** Category and tags, kept in `metadata` (the table has no columns for them). */
export function metadataOf(row: Row): { category: string; tags: string[] } {
  const meta = (row.metadata ?? {}) as StoredMetadata;
  const tags = Array.isArray(meta.tags) ? meta.tags.filter((t): t is string => typeof t === "string") : [];
  return { category: typeof meta.category === "string" ? meta.category : DEFAULT_CATEGORY, tags };
}

/** A row as the API shows it (the reference's `PolicyResource` order, plus our `policy_id`). */
export function dynamicPolicyView(row: Row) {
  const { category, tags } = metadataOf(row);
  return {
    id: row.id,
    policy_id: row.policyId,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    type: row.policyType,
    category,
    tier: row.tier,
    conditions: storedList<PolicyCondition>(row.conditions),
    actions: storedList<PolicyAction>(row.actions),
    priority: row.priority,
    enabled: row.enabled,
    version: row.version,
    tenant_id: row.tenantId,
    ...(tags.length > 0 ? { tags } : {}),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The caller's live rows (row-level security already narrows to its org). */
export const ownRows = (identity: Identity) =>
  and(
    eq(dynamicPolicies.tenantId, identity.tenantId),
    eq(dynamicPolicies.tier, "tenant"),
    isNull(dynamicPolicies.deletedAt),
  );

/** The tenant's live row with this UUID or `policy_id`. */
export async function findDynamicPolicy(tx: Tx, identity: Identity, id: string): Promise<Row | undefined> {
  const match = UUID.test(id)
    ? or(eq(dynamicPolicies.id, id), eq(dynamicPolicies.policyId, id))
    : eq(dynamicPolicies.policyId, id);
  const [row] = await tx
    .select()
    .from(dynamicPolicies)
    .where(and(ownRows(identity), match))
    .limit(1);
  return row;
}

/** The tenant's live rows, oldest first. */
export async function tenantDynamicPolicies(tx: Tx, identity: Identity): Promise<Row[]> {
  return tx.select().from(dynamicPolicies).where(ownRows(identity)).orderBy(dynamicPolicies.createdAt);
}
