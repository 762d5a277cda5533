/**
 * Every policy in force for a tenant, in one list (MCP `list_policies`): the system policies, the
 * tenant's static (pattern) policies and its dynamic (condition) policies, each marked with its
 * `source` as the reference marks them.
 */
import type { Tx } from "../db/client";
import type { Identity } from "../http/context";
import { dynamicPolicyView, tenantDynamicPolicies } from "./dynamic-policies";
import { allStaticPolicies } from "./static-policies";

export interface CatalogueFilters {
  category?: string;
  severity?: string;
}

/** The tenant's catalogue, filtered by exact category and severity (dynamic policies have none). */
export async function listPolicyCatalogue(tx: Tx, identity: Identity, filters: CatalogueFilters) {
  const statics = (await allStaticPolicies(tx)).map((policy) => ({ ...policy, source: "static" as const }));
  const dynamics = (await tenantDynamicPolicies(tx, identity)).map((row) => ({
    ...dynamicPolicyView(row),
    source: "dynamic" as const,
  }));
  return [...statics, ...dynamics]
    .filter((p) => !filters.category || p.category === filters.category)
    .filter((p) => !filters.severity || ("severity" in p && p.severity === filters.severity));
}
