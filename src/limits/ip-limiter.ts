/**
 * IpLimiter Durable Object (id = "<bucket>:<ip>"): an exact sliding-window budget per client IP.
 * It remembers the times of the admitted hits inside the window; an alarm deletes the state once
 * the window has passed, so idle addresses cost no storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { IpLimiterRpc, IpVerdict } from "../rpc/ip-limiter";

export interface IpBudget {
  bucket: string;
  limit: number;
  windowMs: number;
}

/** Register and recover share one budget: 5 per IP per rolling hour (platform.md §1.1, §6.1). */
export const REGISTER_RECOVER_BUDGET: IpBudget = { bucket: "register-recover", limit: 5, windowMs: 3_600_000 };
/** Tenant delete-request: 1 per IP per minute (§7.1). */
export const DELETE_REQUEST_BUDGET: IpBudget = { bucket: "tenant-delete-request", limit: 1, windowMs: 60_000 };
/**
 * Failed Basic authentications per client IP across all tenant ids (unknown ids included): stops
 * a scan that uses a new tenant id on every request, which the per-tenant pre-auth limit cannot.
 */
export const AUTH_FAILURE_BUDGET: IpBudget = { bucket: "auth-failures", limit: 100, windowMs: 60_000 };
/** Stripe webhook: per IP per minute, limit from AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN (§3.1). */
export const stripeWebhookBudget = (perMinute: number): IpBudget => ({
  bucket: "stripe-webhook",
  limit: perMinute,
  windowMs: 60_000,
});

const HITS_KEY = "hits";

export class IpLimiter extends DurableObject<Env> implements IpLimiterRpc {
  hit(limit: number, windowMs: number, nowMs: number): IpVerdict {
    const kv = this.ctx.storage.kv;
    const hits = (kv.get<number[]>(HITS_KEY) ?? []).filter((t) => t > nowMs - windowMs);
    if (hits.length >= limit) {
      kv.put(HITS_KEY, hits);
      const oldest = hits[0] ?? nowMs;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - nowMs) / 1000)) };
    }
    hits.push(nowMs);
    kv.put(HITS_KEY, hits);
    void this.ctx.storage.setAlarm(nowMs + windowMs);
    return { allowed: true, retryAfterSeconds: 0 };
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/**
 * Spends one unit of `budget` for `ip`. A limit of 0 disables the budget. Any failure of the
 * limiter counts as "not allowed": limits fail closed.
 */
export async function consumeIpBudget(env: Env, budget: IpBudget, ip: string, nowMs = Date.now()): Promise<IpVerdict> {
  if (budget.limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
  try {
    const stub = env.IP_LIMITER.get(env.IP_LIMITER.idFromName(`${budget.bucket}:${ip}`));
    return await stub.hit(budget.limit, budget.windowMs, nowMs);
  } catch {
    return { allowed: false, retryAfterSeconds: Math.ceil(budget.windowMs / 1000) };
  }
}
