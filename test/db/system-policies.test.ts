/** migrations/040_system_policies.sql keeps static_policies in step with the bundled module. */
import { describe, expect, inject, it } from "vitest";
import { withOrgScope } from "../../src/db/scope";
import { SYSTEM_POLICIES } from "../../src/policy/system-policies";
import { connect, superuser } from "../support/db";

interface Row extends Record<string, unknown> {
  policy_id: string;
  name: string;
  category: string;
  pattern: string;
  severity: string;
  description: string;
  enabled: boolean;
  priority: number;
  tier: string;
  risk_level: string;
  allow_override: boolean;
}

describe("seeded system policies", () => {
  it("hold exactly the module's policies (run npm run db:system-policies after changing it)", async () => {
    const rows = await superuser<Row>(
      `select policy_id, name, category, pattern, severity, description, enabled, priority, tier, risk_level, allow_override
       from static_policies where tenant_id = 'global' and created_by = 'system' order by policy_id`,
    );
    const expected = [...SYSTEM_POLICIES]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((p) => ({
        policy_id: p.id,
        name: p.name,
        category: p.category,
        pattern: p.pattern,
        severity: p.severity,
        description: p.description,
        enabled: p.enabled,
        priority: p.priority,
        tier: p.tier,
        risk_level: p.severity === "critical" ? "critical" : p.riskLevel,
        allow_override: p.severity !== "critical" && p.allowOverride,
      }));
    expect(rows).toEqual(expected);
  });

  it("are invisible to tenants under row-level security", async () => {
    const app = connect(inject("appRoleUrl"));
    try {
      const visible = await withOrgScope(app, `cs_${crypto.randomUUID()}`, async (tx) => {
        const result = await tx.execute("select count(*)::int as n from static_policies");
        return (result.rows[0] as { n: number }).n;
      });
      expect(visible).toBe(0);
    } finally {
      await app.close();
    }
  });
});
