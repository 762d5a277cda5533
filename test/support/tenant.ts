import { env } from "cloudflare:test";
import { hashSecret } from "../../src/credentials/secret-hash";
import type { Env } from "../../src/env";
import type { AdmitRequest, GateLimits } from "../../src/rpc/tenant-gate";
import { TEST_PEPPER } from "./constants";
import { type Registration, registerTenant } from "./http";

export const testEnv = env as Env;

export const gateStub = (tenantId: string) => testEnv.TENANT_GATE.get(testEnv.TENANT_GATE.idFromName(tenantId));

export const DEFAULT_LIMITS: GateLimits = {
  preAuthPerMinute: 200,
  tierPerMinute: { Free: 25, Pro: 200, Premium: 200 },
  dailyByTier: { Free: 200, Pro: 1000, Premium: 5000 },
};

/** A registered tenant plus a ready admit request for its correct secret. */
export async function tenantWithAdmit(): Promise<{ tenant: Registration; request: AdmitRequest }> {
  const tenant = await registerTenant();
  return {
    tenant,
    request: {
      tenantId: tenant.tenant_id,
      presentedHash: await hashSecret(tenant.secret, TEST_PEPPER),
      clientIp: "127.0.0.1",
      nowMs: Date.now(),
      limits: DEFAULT_LIMITS,
      countsQuota: true,
      license: { kind: "none" },
    },
  };
}
