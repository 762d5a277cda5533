/**
 * The tenant gate's counting rules as pure functions over plain state, so they can be tested with
 * any clock. Windows: fixed one-minute windows and the UTC calendar day. Every counter is
 * increment-then-compare: a rejected request still counts (platform.md §4.2).
 */
import type { GateLimits } from "../rpc/tenant-gate";
import type { Tier } from "../tiers";
import { minuteWindow, utcDay } from "./windows";

export interface GateCounters {
  minute: number;
  /** Correct-credential requests in this minute. */
  credentialCount: number;
  /** Requests counted against the tier per-minute limit in this minute. */
  tierCount: number;
  /** Wrong secrets in this minute, per client IP. */
  failuresByIp: Record<string, number>;
  day: string;
  dailyCount: number;
}

export const emptyCounters = (): GateCounters => ({
  minute: -1,
  credentialCount: 0,
  tierCount: 0,
  failuresByIp: {},
  day: "",
  dailyCount: 0,
});

/** Moves the windows to `nowMs`, resetting what belongs to a past minute or day. */
export function rollWindows(counters: GateCounters, nowMs: number): void {
  const minute = minuteWindow(nowMs);
  if (counters.minute !== minute) {
    counters.minute = minute;
    counters.credentialCount = 0;
    counters.tierCount = 0;
    counters.failuresByIp = {};
  }
  const day = utcDay(nowMs);
  if (counters.day !== day) {
    counters.day = day;
    counters.dailyCount = 0;
  }
}

/**
 * Checked before the credential is looked up or its secret compared. Wrong secrets are budgeted
 * per (client IP, tenant), so a stranger who knows a tenant id exhausts only their own budget;
 * the credential's own budget is spent only by correct requests.
 */
export function preAuthAllows(counters: GateCounters, clientIp: string, limits: GateLimits): boolean {
  return (
    (counters.failuresByIp[clientIp] ?? 0) < limits.preAuthPerMinute &&
    counters.credentialCount < limits.preAuthPerMinute
  );
}

export function recordWrongSecret(counters: GateCounters, clientIp: string): void {
  counters.failuresByIp[clientIp] = (counters.failuresByIp[clientIp] ?? 0) + 1;
}

export type Admission =
  | { kind: "admitted" }
  | { kind: "per_minute"; limit: number }
  | { kind: "daily_quota"; limit: number };

/** Counts an authenticated request: tier per-minute limit, then (for quota routes) the daily quota. */
export function countAdmission(
  counters: GateCounters,
  tier: Tier,
  limits: GateLimits,
  countsQuota: boolean,
): Admission {
  counters.credentialCount++;
  counters.tierCount++;
  const minuteLimit = limits.tierPerMinute[tier];
  if (counters.tierCount > minuteLimit) return { kind: "per_minute", limit: minuteLimit };
  if (!countsQuota) return { kind: "admitted" };
  counters.dailyCount++;
  const dailyLimit = limits.dailyByTier[tier];
  if (counters.dailyCount > dailyLimit) return { kind: "daily_quota", limit: dailyLimit };
  return { kind: "admitted" };
}
