/**
 * Isolate-local memory of tenants over their daily quota: until `resets_at` their envelope is
 * answered without calling the tenant gate, so a client hammering past its quota cannot overload
 * the one Durable Object that serves the tenant. Keyed by the verified credential hash, so a
 * stranger's wrong secret never hits the memo. Never the source of truth: it only repeats a
 * verdict the gate gave, and only until the window the gate named ends.
 */
import type { PresentedLicense } from "../rpc/tenant-gate";
import type { Tier } from "../tiers";

interface Denial {
  tier: Tier;
  limit: number;
  untilMs: number;
}

const MAX_ENTRIES = 10_000;
const denials = new Map<string, Denial>();

/** A license changes the quota, so the memo is per credential and presented license. */
const key = (tenantId: string, credentialHash: string, license: PresentedLicense) =>
  `${tenantId}\n${credentialHash}\n${license.kind === "verified" ? license.jti : license.kind}`;

export function rememberDenial(
  tenantId: string,
  credentialHash: string,
  license: PresentedLicense,
  denial: Denial,
): void {
  if (denials.size >= MAX_ENTRIES) {
    const oldest = denials.keys().next().value;
    if (oldest !== undefined) denials.delete(oldest);
  }
  denials.set(key(tenantId, credentialHash, license), denial);
}

export function recalledDenial(
  tenantId: string,
  credentialHash: string,
  license: PresentedLicense,
  nowMs: number,
): Denial | undefined {
  const k = key(tenantId, credentialHash, license);
  const denial = denials.get(k);
  if (!denial) return undefined;
  if (nowMs >= denial.untilMs) {
    denials.delete(k);
    return undefined;
  }
  return denial;
}

/** Drops every remembered denial of `tenantId` (erasure: its credentials must answer 401 at once). */
export function forgetDenials(tenantId: string): void {
  const prefix = `${tenantId}\n`;
  for (const k of [...denials.keys()]) if (k.startsWith(prefix)) denials.delete(k);
}
