/** X-License-Token on governed requests (platform.md §2.6, decisions.md on expiry). */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTH_MESSAGES } from "../../src/auth/messages";
import type { TenantGate } from "../../src/limits/tenant-gate";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, expectErrorA, registerTenant } from "../support/http";
import { issueTestLicense } from "../support/license";
import { gateStub, tenantWithAdmit, type testEnv } from "../support/tenant";

const PLUGIN = "claude-code-plugin/1.13.0";

function explain(
  auth: string,
  token: string | undefined,
  client: string | undefined = PLUGIN,
  env?: Record<string, string>,
) {
  const headers: Record<string, string> = { Authorization: auth };
  if (token !== undefined) headers["X-License-Token"] = token;
  if (client !== undefined) headers["X-Axonflow-Client"] = client;
  const init = { method: "POST", headers };
  return env ? callWithEnv(env, "/api/v1/governance/explain", init) : call("/api/v1/governance/explain", init);
}

async function tier(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { tier: string }).tier;
}

describe("license tokens on governed requests", () => {
  it("promotes a tenant with an active Pro license to Pro, with no extra query once warm", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const { token } = await issueTestLicense(tenant.tenant_id);
    expect(await tier(await explain(auth, token))).toBe("Pro");
    const warm = await explain(auth, token);
    expect(warm.headers.get("X-Axonflow-Request-Cost")).toBe("do=1; db=0");
    expect(await tier(warm)).toBe("Pro");
    expect(await tier(await explain(auth, undefined))).toBe("Free");
  });

  it("gives Pro the 1,000/day quota", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const { token } = await issueTestLicense(tenant.tenant_id);
    const roomy = { COMMUNITY_SAAS_MINUTE_LIMIT: "5000", COMMUNITY_SAAS_MINUTE_LIMIT_PRO: "5000" };
    const statuses = await Promise.all(
      Array.from({ length: 205 }, () => explain(auth, token, PLUGIN, roomy).then((r) => r.status)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("treats an empty X-License-Token as absent", async () => {
    const tenant = await registerTenant();
    expect(await tier(await explain(basic(tenant.tenant_id, tenant.secret), ""))).toBe("Free");
  });

  it("answers license_not_found_or_revoked for a revoked or unknown jti", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const unknown = await issueTestLicense(tenant.tenant_id, { row: false });
    await expectErrorA(await explain(auth, unknown.token), 401, "license_not_found_or_revoked");
    const revoked = await issueTestLicense(tenant.tenant_id);
    await superuser("update plugin_user_licenses set revoked_at = now() where license_token_jti = $1", [revoked.jti]);
    await expectErrorA(await explain(auth, revoked.token), 401, "license_not_found_or_revoked");
  });

  it("checks the credential before the token", async () => {
    const tenant = await registerTenant();
    await expectErrorA(
      await explain(basic(tenant.tenant_id, "0".repeat(32)), "AXON-garbage"),
      401,
      AUTH_MESSAGES.invalid,
    );
    await expectErrorA(
      await explain(basic(tenant.tenant_id, tenant.secret), "AXON-garbage"),
      401,
      "invalid_license_token: malformed token",
    );
  });

  it("rejects another tenant's token with 403 and wrong audiences or scopes with 401", async () => {
    const tenant = await registerTenant();
    const other = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const foreign = await issueTestLicense(other.tenant_id);
    await expectErrorA(
      await explain(auth, foreign.token),
      403,
      "license_tenant_mismatch: token tenant_id does not match authenticated tenant",
    );
    const selfHosted = await issueTestLicense(tenant.tenant_id, { aud: "axonflow.self_hosted.full", row: false });
    await expectErrorA(
      await explain(auth, selfHosted.token),
      401,
      'cross_quadrant_token: aud "axonflow.self_hosted.full" not accepted on SaaS plugin path',
    );
    const plugin = await issueTestLicense(tenant.tenant_id);
    await expectErrorA(
      await explain(auth, plugin.token, "sdk-typescript/7.7.0"),
      401,
      'scope_mismatch: token aud "axonflow.saas.plugin" does not grant scope "sdk" (client "sdk-typescript/7.7.0")',
    );
  });

  it("returns an expired license to Free with X-Axonflow-License-Status, and keeps Pro inside the grace day", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const expired = await issueTestLicense(tenant.tenant_id, { issuedDaysAgo: 92, validityDays: 90 });
    const fallback = await explain(auth, expired.token);
    expect(fallback.headers.get("X-Axonflow-License-Status")).toBe("expired");
    expect(await tier(fallback)).toBe("Free");
    await superuser("update plugin_user_licenses set revoked_at = now() where license_token_jti = $1", [expired.jti]);
    const inGrace = await issueTestLicense(tenant.tenant_id, { issuedDaysAgo: 90, validityDays: 90 });
    const graced = await explain(auth, inGrace.token);
    expect(graced.headers.get("X-Axonflow-License-Status")).toBeNull();
    expect(await tier(graced)).toBe("Pro");
  });

  it("makes revocation visible on the next request after invalidate()", async () => {
    const tenant = await registerTenant();
    const auth = basic(tenant.tenant_id, tenant.secret);
    const { token, jti } = await issueTestLicense(tenant.tenant_id);
    expect(await tier(await explain(auth, token))).toBe("Pro");
    await superuser("update plugin_user_licenses set revoked_at = now() where license_token_jti = $1", [jti]);
    expect(await tier(await explain(auth, token))).toBe("Pro"); // cached ≤ 60 s
    await gateStub(tenant.tenant_id).invalidate();
    await expectErrorA(await explain(auth, token), 401, "license_not_found_or_revoked");
  });

  it("makes a revocation done directly in Postgres visible within 60 s", async () => {
    const { request } = await tenantWithAdmit();
    const { jti } = await issueTestLicense(request.tenantId);
    const stub = gateStub(request.tenantId);
    const t0 = Date.now();
    const licensed = { ...request, license: { kind: "verified" as const, jti } };
    expect(await stub.admit({ ...licensed, nowMs: t0 })).toMatchObject({ kind: "admitted", tier: "Pro" });
    await superuser("update plugin_user_licenses set revoked_at = now() where license_token_jti = $1", [jti]);
    expect(await stub.admit({ ...licensed, nowMs: t0 + 59_000 })).toMatchObject({ kind: "admitted", tier: "Pro" });
    expect(await stub.admit({ ...licensed, nowMs: t0 + 60_000 })).toMatchObject({
      kind: "license_refused",
      problem: "not_found_or_revoked",
    });
  });

  it("refuses with license_lookup_unavailable when the license lookup fails", async () => {
    const { request } = await tenantWithAdmit();
    const { jti } = await issueTestLicense(request.tenantId);
    const stub = gateStub(request.tenantId);
    expect((await stub.admit(request)).kind).toBe("admitted"); // credential now cached
    const verdict = await runInDurableObject(stub, async (instance: TenantGate) => {
      const gate = instance as unknown as { env: typeof testEnv };
      const saved = gate.env;
      gate.env = { ...saved, AXONFLOW_DB_APP_ROLE_URL: "postgres://axonflow_app_role:wrong@127.0.0.1:1/axonflow" };
      try {
        return await instance.admit({ ...request, license: { kind: "verified", jti } });
      } finally {
        gate.env = saved;
      }
    });
    expect(verdict).toMatchObject({ kind: "license_refused", problem: "lookup_failed" });
  });
});
