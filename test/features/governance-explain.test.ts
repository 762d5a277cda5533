import { describe, expect, it } from "vitest";
import { UPGRADE_HINT } from "../../src/auth/messages";
import { describeAuthSecurity } from "../support/auth-suite";
import { basic, call, registerTenant } from "../support/http";

const explain = (headers: Record<string, string> = {}) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: "{}",
  });

describeAuthSecurity("POST /api/v1/governance/explain", (authorization) =>
  explain(authorization === undefined ? {} : { Authorization: authorization }),
);

describe("POST /api/v1/governance/explain", () => {
  it("answers 200 with the identity derived from the credential", async () => {
    const tenant = await registerTenant();
    const response = await explain({
      Authorization: basic(tenant.tenant_id, tenant.secret),
      "X-Axonflow-Client": "claude-code-plugin/1.13.0",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      tenant_id: tenant.tenant_id,
      org_id: tenant.tenant_id,
      client_id: tenant.tenant_id,
      tier: "Free",
    });
    expect(response.headers.get("X-Axonflow-Upgrade-Hint")).toBeNull();
  });

  it("ignores caller-supplied X-Tenant-ID and X-Client-ID", async () => {
    const tenant = await registerTenant();
    const other = await registerTenant();
    const response = await explain({
      Authorization: basic(tenant.tenant_id, tenant.secret),
      "X-Tenant-ID": other.tenant_id,
      "X-Client-ID": other.tenant_id,
    });
    expect(((await response.json()) as { tenant_id: string }).tenant_id).toBe(tenant.tenant_id);
  });

  it("adds the upgrade hint when X-Axonflow-Client is missing or blank", async () => {
    const tenant = await registerTenant();
    for (const headers of [{}, { "X-Axonflow-Client": " " }] as Record<string, string>[]) {
      const response = await explain({ Authorization: basic(tenant.tenant_id, tenant.secret), ...headers });
      expect(response.status).toBe(200);
      expect(response.headers.get("X-Axonflow-Upgrade-Hint")).toBe(UPGRADE_HINT);
    }
  });

  it("accepts a credential sent without the Basic scheme (Codex) and a lower-case scheme", async () => {
    const tenant = await registerTenant();
    const encoded = btoa(`${tenant.tenant_id}:${tenant.secret}`);
    expect((await explain({ Authorization: encoded })).status).toBe(200);
    expect((await explain({ Authorization: `basic ${encoded}` })).status).toBe(200);
  });
});
