import { afterEach, describe, expect, it, vi } from "vitest";
import { hashSecret } from "../../src/credentials/secret-hash";
import { AUTH_FAILURE_BUDGET } from "../../src/limits/ip-limiter";
import { TEST_PEPPER } from "../support/constants";
import { basic, call, expectErrorA, randomLoopback, registerTenant } from "../support/http";
import { DEFAULT_LIMITS, gateStub } from "../support/tenant";

const explain = (authorization: string, ip: string) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: authorization },
    body: "{}",
    ip,
  });

const randomTenantId = () => `cs_${crypto.randomUUID()}`;

describe("credential floods", () => {
  afterEach(() => vi.restoreAllMocks());

  it("does not lock out a tenant whose id was looked up (and cached as unknown) before it existed", async () => {
    const uuid = crypto.randomUUID();
    const tenantId = `cs_${uuid}`;
    expect((await explain(basic(tenantId, "0".repeat(32)), randomLoopback())).status).toBe(401);
    // The gate now caches "no such tenant" for this id; registration then happens to mint it.
    const mint = vi.spyOn(crypto, "randomUUID").mockReturnValue(uuid);
    const tenant = await registerTenant();
    mint.mockRestore();
    expect(tenant.tenant_id).toBe(tenantId);
    expect((await explain(basic(tenant.tenant_id, tenant.secret), randomLoopback())).status).toBe(200);
  });

  it("counts guesses at an unknown tenant id toward the pre-auth limit", async () => {
    const tenantId = randomTenantId();
    const request = {
      tenantId,
      presentedHash: await hashSecret("0".repeat(32), TEST_PEPPER),
      clientIp: randomLoopback(),
      nowMs: Date.now(),
      limits: { ...DEFAULT_LIMITS, preAuthPerMinute: 3 },
      countsQuota: true,
      license: { kind: "none" as const },
    };
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) kinds.push((await gateStub(tenantId).admit(request)).kind);
    expect(kinds).toEqual(["rejected", "rejected", "rejected", "pre_auth_limited"]);
  });

  it(`stops a scan with a fresh tenant id per request after ${AUTH_FAILURE_BUDGET.limit} failures a minute from one IP`, async () => {
    const ip = randomLoopback();
    const wrong = () => basic(randomTenantId(), "0".repeat(32));
    const statuses: number[] = [];
    // Ten at a time: the budget is exact under concurrency, and the test stays quick on a busy machine.
    for (let i = 0; i < AUTH_FAILURE_BUDGET.limit; i += 10) {
      const batch = Array.from({ length: Math.min(10, AUTH_FAILURE_BUDGET.limit - i) }, () => explain(wrong(), ip));
      statuses.push(...(await Promise.all(batch)).map((response) => response.status));
    }
    expect(statuses).toEqual(Array(AUTH_FAILURE_BUDGET.limit).fill(401));

    const limited = await explain(wrong(), ip);
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await expectErrorA(limited, 429, `Rate limit exceeded (${AUTH_FAILURE_BUDGET.limit} req/min). Try again shortly.`);

    // The address is refused whatever it presents; other addresses are not affected.
    const tenant = await registerTenant();
    const good = basic(tenant.tenant_id, tenant.secret);
    expect((await explain(good, ip)).status).toBe(429);
    expect((await explain(good, randomLoopback())).status).toBe(200);
  });

  it("spends the IP limiter only on failures: one gate call on success, gate + limiter on a 401", async () => {
    const ip = randomLoopback();
    const tenant = await registerTenant();
    const ok = await explain(basic(tenant.tenant_id, tenant.secret), ip);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("X-Axonflow-Request-Cost")).toMatch(/^do=1; db=\d+/);
    const failed = await explain(basic(tenant.tenant_id, "f".repeat(32)), ip);
    expect(failed.status).toBe(401);
    expect(failed.headers.get("X-Axonflow-Request-Cost")).toMatch(/^do=2; db=0/);
  });
});
