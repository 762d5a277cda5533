/**
 * Row-level security as the Worker meets it: the app role through the Neon driver, org scope set
 * per transaction. Fixtures are written as the superuser.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkAppRole } from "../../src/db/guard";
import { expectAffected, RowCountMismatchError, withOrgScope } from "../../src/db/scope";
import { connect, superuser } from "../support/db";

const orgA = `cs_rls_a_${crypto.randomUUID()}`;
const orgB = `cs_rls_b_${crypto.randomUUID()}`;

async function insertTenant(id: string) {
  await superuser(
    `insert into community_saas_registrations (tenant_id, secret_hash, secret_prefix, org_id, client_id, expires_at)
     values ($1, 'hmac-sha256$00', '00000000', $1, $1, now() + interval '1 day')`,
    [id],
  );
}

describe("row-level security as axonflow_app_role", () => {
  const app = connect(inject("appRoleUrl"));

  beforeAll(async () => {
    await insertTenant(orgA);
    await insertTenant(`${orgA}-second`);
    await superuser("update community_saas_registrations set org_id = $1 where tenant_id = $2", [
      orgA,
      `${orgA}-second`,
    ]);
    await insertTenant(orgB);
  });
  afterAll(() => app.close());

  const idsVisibleTo = (org: string | undefined) =>
    (async () => {
      const orm = await app.orm();
      return orm.transaction(async (tx) => {
        if (org !== undefined) await tx.execute(sql`select set_config('app.current_org_id', ${org}, true)`);
        const result = await tx.execute<{ tenant_id: string }>(
          sql`select tenant_id from community_saas_registrations order by tenant_id`,
        );
        return result.rows.map((row) => row.tenant_id);
      });
    })();

  it("sees zero rows without an org scope", async () => {
    expect(await idsVisibleTo(undefined)).toEqual([]);
  });

  it("sees exactly its org's rows with the scope set", async () => {
    expect(await idsVisibleTo(orgA)).toEqual([orgA, `${orgA}-second`].sort());
    expect(await idsVisibleTo(orgB)).toEqual([orgB]);
    expect(await idsVisibleTo("cs_unknown")).toEqual([]);
  });

  it("keeps the scope to its transaction", async () => {
    await withOrgScope(app, orgA, async () => {});
    const [row] = await app.query<{ org: string | null }>("select current_setting('app.current_org_id', true) as org");
    expect(row?.org === null || row?.org === "").toBe(true);
  });

  it("rejects an insert for another org", async () => {
    await expect(
      withOrgScope(app, orgA, (tx) =>
        tx.execute(sql`insert into community_saas_registrations (tenant_id, secret_hash, secret_prefix, org_id)
                       values (${`${orgB}-smuggled`}, 'x', 'x', ${orgB})`),
      ),
    ).rejects.toMatchObject({ cause: { message: expect.stringContaining("row-level security") } });
  });

  it("turns a cross-org update that RLS silently filters into an error", async () => {
    const update = withOrgScope(app, orgA, async (tx) =>
      expectAffected(
        await tx.execute(sql`update community_saas_registrations set label = 'hijacked' where tenant_id = ${orgB}`),
        1,
        "update registration label",
      ),
    );
    await expect(update).rejects.toBeInstanceOf(RowCountMismatchError);
    const [row] = await superuser<{ label: string | null }>(
      "select label from community_saas_registrations where tenant_id = $1",
      [orgB],
    );
    expect(row?.label).toBeNull();
  });

  it("lets an in-scope update through the same check", async () => {
    const result = await withOrgScope(app, orgA, async (tx) =>
      expectAffected(
        await tx.execute(sql`update community_saas_registrations set label = 'mine' where tenant_id = ${orgA}`),
        1,
        "update registration label",
      ),
    );
    expect(result.rowCount).toBe(1);
  });

  it("lets the platform admin role (jobs only) see every org", async () => {
    const admin = connect(inject("platformAdminUrl"));
    try {
      const rows = await admin.query<{ tenant_id: string }>(
        "select tenant_id from community_saas_registrations where tenant_id in ($1, $2) order by tenant_id",
        [orgA, orgB],
      );
      expect(rows.map((row) => row.tenant_id)).toEqual([orgA, orgB].sort());
    } finally {
      await admin.close();
    }
  });

  it("passes the refuse-to-serve guard", async () => {
    expect(await checkAppRole(inject("appRoleUrl"), app)).toEqual({ ok: true });
  });
});

describe("schema invariants", () => {
  it("has ENABLE + FORCE RLS and the isolation policy on every table with an org_id column", async () => {
    const rows = await superuser<{ table: string; enabled: boolean; forced: boolean; policy: boolean }>(
      `select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              exists (select 1 from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname
                      and p.policyname = c.relname || '_org_id_isolation') as policy
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped
       where n.nspname = 'public' and c.relkind in ('r', 'p')`,
    );
    expect(rows.map((r) => r.table)).toContain("community_saas_registrations");
    expect(rows.filter((r) => !(r.enabled && r.forced && r.policy))).toEqual([]);
  });

  it("gives the app role no privilege at all on the tables without org_id (reached only through SECURITY DEFINER functions)", async () => {
    const rows = await superuser<{ table: string; privileges: string[] }>(
      `select c.relname as table,
              array(select p from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
                    where has_table_privilege('axonflow_app_role', c.oid, p)) as privileges
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p')
         and c.relname in ('community_saas_recovery_tokens', 'tenant_deletion_log', 'stripe_payment_revocations')`,
    );
    expect(rows.map((r) => r.table).sort()).toEqual([
      "community_saas_recovery_tokens",
      "stripe_payment_revocations",
      "tenant_deletion_log",
    ]);
    expect(rows.filter((r) => r.privileges.length > 0)).toEqual([]);
  });

  it("runs requests as a role without BYPASSRLS that owns no table", async () => {
    const [role] = await superuser<{ rolbypassrls: boolean; rolsuper: boolean }>(
      "select rolbypassrls, rolsuper from pg_roles where rolname = 'axonflow_app_role'",
    );
    expect(role).toEqual({ rolbypassrls: false, rolsuper: false });
    const owned = await superuser(
      "select c.relname from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'axonflow_app_role'",
    );
    expect(owned).toEqual([]);
  });

  it("pins search_path on SECURITY DEFINER functions and grants EXECUTE to the app role only", async () => {
    const functions = await superuser<{ name: string; config: string[] | null; acl: string; owner: string }>(
      `select p.proname as name, p.proconfig as config, coalesce(p.proacl::text, '') as acl, r.rolname as owner
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_roles r on r.oid = p.proowner
       where n.nspname = 'public' and p.prosecdef order by p.proname`,
    );
    expect(functions.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "csaas_auth_lookup",
        "csaas_register_tenant",
        "csaas_register_touch",
        "billing_revoke_payment",
      ]),
    );
    for (const fn of functions) {
      expect(fn.config).toEqual(["search_path=pg_catalog, pg_temp"]);
      expect(fn.owner).toBe("axonflow_platform_admin");
      expect(fn.acl).toContain("axonflow_app_role=X/");
      expect(fn.acl).not.toMatch(/(^|[{,])=X\//); // no grant to PUBLIC
    }
  });
});
