/**
 * The active custom-policy cap (decisions.md "MCP Pro tools", platform.md §4.7): Free keeps 4
 * tenant policies active at once, Pro and Premium 50. Active means enabled and not deleted, and
 * both stores count: `dynamic_policies` and the tenant tier of `static_policies`. Every writer
 * that can add an active policy (the dynamic- and static-policy routes, the MCP create tool) checks
 * the cap through here, inside the transaction that writes.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import type { Identity } from "../http/context";
import { type LimitResponse, tierGateResponse } from "../limits/envelopes";
import { TIERS, type Tier } from "../tiers";

/** How many tenant policies `tier` may keep active at once. */
export function activePolicyLimit(tier: Tier): number {
  return TIERS[tier].activePolicies;
}

/**
 * The scoped org's active tenant policies (the transaction must come from withOrgScope: row-level
 * security narrows both tables to that org). First takes a transaction-scoped lock on the org's
 * cap, so two concurrent writers cannot both see room for one more: call it in the transaction
 * that then writes.
 */
export async function activeTenantPolicyCount(tx: Tx): Promise<number> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext('policy-cap:' || current_setting('app.current_org_id', true))::bigint)`,
  );
  const { rows } = await tx.execute<{ n: number }>(sql`
    select
      (select count(*) from dynamic_policies where tier = 'tenant' and enabled and deleted_at is null)::int
      + (select count(*) from static_policies where tier = 'tenant' and enabled and deleted_at is null)::int as n`);
  return rows[0]?.n ?? 0;
}

/** The 403 `active_policies` envelope for `identity`'s tier (send with restLimitResponse or jsonRpcLimitResponse). */
export function policyCapResponse(identity: Pick<Identity, "tier">, nowMs = Date.now()): LimitResponse {
  return tierGateResponse(
    identity.tier,
    { limitType: "active_policies", limit: activePolicyLimit(identity.tier) },
    nowMs,
  );
}

/**
 * Whether one more active policy fits: undefined when it does, else the envelope to answer.
 * Locks and counts as {@link activeTenantPolicyCount} does.
 */
export async function policyCapExceeded(tx: Tx, identity: Pick<Identity, "tier">): Promise<LimitResponse | undefined> {
  const active = await activeTenantPolicyCount(tx);
  return active >= activePolicyLimit(identity.tier) ? policyCapResponse(identity) : undefined;
}
