/**
 * The IpLimiter Durable Object's RPC contract. src/limits/ip-limiter.ts implements IpLimiterRpc and
 * src/env.ts types the IP_LIMITER binding with it, so the bindings never import the class.
 */

export interface IpVerdict {
  allowed: boolean;
  /** Seconds until the oldest hit leaves the window (0 when allowed). */
  retryAfterSeconds: number;
}

/** What the Worker may call on a limiter (the object's id is `idFromName("<bucket>:<ip>")`). */
export interface IpLimiterRpc extends Rpc.DurableObjectBranded {
  /** Spends one hit of a sliding-window budget of `limit` hits per `windowMs`, if any is left. */
  hit(limit: number, windowMs: number, nowMs: number): IpVerdict;
}
