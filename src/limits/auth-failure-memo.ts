/**
 * Isolate-local memory of client IPs that spent their failed-authentication budget
 * (AUTH_FAILURE_BUDGET): until the IpLimiter's window frees a slot, their requests are answered
 * 429 without calling any tenant gate, so a scan with a fresh random tenant id per request cannot
 * create Durable Objects without bound. Only failures consult the IpLimiter, so a correct
 * credential's hot path stays at one gate call.
 */
const MAX_ENTRIES = 10_000;
const blocked = new Map<string, number>();

export function rememberBlockedIp(ip: string, untilMs: number): void {
  if (blocked.size >= MAX_ENTRIES) {
    const oldest = blocked.keys().next().value;
    if (oldest !== undefined) blocked.delete(oldest);
  }
  blocked.set(ip, untilMs);
}

/** Seconds until `ip` may try again, or 0 when it is not blocked in this isolate. */
export function blockedIpRetryAfter(ip: string, nowMs: number): number {
  const untilMs = blocked.get(ip);
  if (untilMs === undefined) return 0;
  if (nowMs >= untilMs) {
    blocked.delete(ip);
    return 0;
  }
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}
