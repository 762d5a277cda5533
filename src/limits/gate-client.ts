/** The Worker's side of the tenant gate: limits from config, one RPC, failures made explicit. */
import type { Config } from "../config";
import type { Env } from "../env";
import type { AdmitRequest, AdmitVerdict, GateLimits, GateRecordBatch } from "../rpc/tenant-gate";
import { TIERS } from "../tiers";

export function gateLimits(config: Config): GateLimits {
  const pro = config.COMMUNITY_SAAS_MINUTE_LIMIT_PRO;
  return {
    preAuthPerMinute: config.COMMUNITY_SAAS_MINUTE_LIMIT,
    tierPerMinute: { Free: config.COMMUNITY_SAAS_MINUTE_LIMIT_FREE, Pro: pro, Premium: pro },
    dailyByTier: { Free: TIERS.Free.dailyEvents, Pro: TIERS.Pro.dailyEvents, Premium: TIERS.Premium.dailyEvents },
  };
}

/** One round trip to the tenant's gate; a thrown error becomes `gate_failed` (callers fail closed). */
export async function admitThroughGate(
  env: Env,
  request: AdmitRequest,
): Promise<AdmitVerdict | { kind: "gate_failed"; error: unknown }> {
  try {
    const stub = env.TENANT_GATE.get(env.TENANT_GATE.idFromName(request.tenantId));
    return await stub.admit(request);
  } catch (error) {
    return { kind: "gate_failed", error };
  }
}

/**
 * Drops what the tenant's gate caches (credential, license states) so the next request re-reads
 * Postgres. Called after every change the gate must see at once: revocation, sweep, erasure.
 * Best effort: if it fails, the gate's 60 s TTL still bounds staleness.
 */
export async function invalidateTenantGate(env: Env, tenantId: string): Promise<boolean> {
  try {
    await env.TENANT_GATE.get(env.TENANT_GATE.idFromName(tenantId)).invalidate();
    return true;
  } catch {
    return false;
  }
}

/**
 * Empties the tenant's gate for a GDPR erasure (TenantGate.erase: caches, storage, alarm), after a
 * running flush finished. One retry; false when the gate could not be reached twice.
 */
export async function eraseTenantGate(env: Env, tenantId: string): Promise<boolean> {
  const stub = env.TENANT_GATE.get(env.TENANT_GATE.idFromName(tenantId));
  return withOneRetry(() => stub.erase());
}

/**
 * Hands a request's records to its tenant's gate after the response (callers defer it). One retry:
 * a gate that cannot take them twice in a row is logged by the caller with the counts it lost.
 */
export async function recordThroughGate(env: Env, tenantId: string, batch: GateRecordBatch): Promise<boolean> {
  const stub = env.TENANT_GATE.get(env.TENANT_GATE.idFromName(tenantId));
  return withOneRetry(() => stub.record(batch));
}

/** Runs `call` once more if it throws; false when it threw twice. */
async function withOneRetry(call: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await call();
      return true;
    } catch {
      // retried once
    }
  }
  return false;
}
