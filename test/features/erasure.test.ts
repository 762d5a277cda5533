/**
 * GDPR erasure (platform.md §7): POST /api/v1/tenant/{id}/delete-request and …/delete-confirm,
 * against real Postgres, the mail sink, the Stripe stand-in and the tenant's Durable Object.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { AUTH_MESSAGES } from "../../src/auth/messages";
import { BillingService } from "../../src/billing-worker";
import type { BillingBinding } from "../../src/env";
import { ERASURE_MESSAGES as M } from "../../src/features/erasure/messages";
import type { TenantGate } from "../../src/limits/tenant-gate";
import { DELETION_EMAIL_SUBJECT } from "../../src/mail/deletion-email";
import { superuser } from "../support/db";
import {
  basic,
  call,
  callWithEnv,
  expectErrorA,
  type Registration,
  randomLoopback,
  registerTenant,
} from "../support/http";
import { mailTo } from "../support/stripe";
import { gateStub, testEnv } from "../support/tenant";

const GENERIC = { message: M.generic };
/** vitest.config.ts sets no pepper, so the reference's fallback applies. */
const FALLBACK_PEPPER = "axonflow-tenant-delete-default-pepper-v1";
const ERASURE_RECORDS = ["community_saas_deletion_tokens", "tenant_deletion_log"];

const uniqueEmail = (tag = "erase") => `${tag}-${crypto.randomUUID().slice(0, 12)}@example.com`;
const json = (body: unknown) => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const deleteRequest = (tenantId: string, body: unknown, ip = randomLoopback()) =>
  call(`/api/v1/tenant/${tenantId}/delete-request`, { ...json(body), ip });
const confirm = (tenantId: string, body: unknown) =>
  call(`/api/v1/tenant/${tenantId}/delete-confirm`, { ...json(body), ip: randomLoopback() });

const explainAs = (tenant: Registration) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: basic(tenant.tenant_id, tenant.secret) },
    body: "{}",
  });

/** A tool-call audit whose record reaches the tenant gate before this returns (waitUntil settled). */
const toolCall = (tenant: Registration) =>
  callWithEnv({}, "/api/v1/audit/tool-call", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: basic(tenant.tenant_id, tenant.secret) },
    body: JSON.stringify({ tool_name: "anthropic.claude-sonnet", tool_type: "llm_call", success: true }),
  });

async function hmacHex(key: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const tokenRows = (tenantId: string) =>
  superuser<{
    token_hash: string;
    org_id: string;
    email: string;
    requesting_ip_hash: string;
    ttl_seconds: number;
    consumed: boolean;
  }>(
    `select token_hash, org_id, email, requesting_ip_hash, consumed_at is not null as consumed,
            round(extract(epoch from expires_at - created_at))::int as ttl_seconds
     from community_saas_deletion_tokens where tenant_id = $1 order by created_at`,
    [tenantId],
  );

const logRows = (tenantId: string) =>
  superuser<Record<string, unknown>>(
    `select email, deletion_token_jti, deleted_registrations, deleted_licenses, deleted_audit_logs,
            deleted_daily_usage, deleted_usage_events, deleted_rows, stripe_customer_id, stripe_archive_ok,
            stripe_archive_error, refund_needed, refund_note
     from tenant_deletion_log where tenant_id = $1 order by id`,
    [tenantId],
  );

/** Requests a token for (tenant, email) and reads it back from the mail sink. */
async function requestToken(tenantId: string, email: string): Promise<string> {
  const before = (await mailTo(email, 0, 0)).length;
  const response = await deleteRequest(tenantId, { email });
  expect(response.status).toBe(202);
  const mail = (await mailTo(email, before + 1)).filter((m) => m.subject === DELETION_EMAIL_SUBJECT).at(-1);
  const token = mail?.text.match(/"token":"([A-Za-z0-9_-]{43})"/)?.[1];
  expect(token, "deletion mail with a token").toBeTruthy();
  return token ?? "";
}

/** Tables in schema public with a tenant_id, org_id or client_id column, and their matching rows. */
async function tenantRows(tenantId: string): Promise<Record<string, number>> {
  const tables = await superuser<{ table: string; columns: string[] }>(
    `select c.relname as table, array_agg(a.attname::text order by a.attname) as columns
     from pg_class c
     join pg_namespace n on n.oid = c.relnamespace
     join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       and a.attname in ('tenant_id', 'org_id', 'client_id')
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
     group by c.relname order by c.relname`,
  );
  const counts: Record<string, number> = {};
  for (const { table, columns } of tables) {
    const where = columns.map((col) => `"${col}" = $1`).join(" or ");
    const [row] = await superuser<{ n: number }>(`select count(*)::int as n from public."${table}" where ${where}`, [
      tenantId,
    ]);
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/** Every row the tenant's gate holds: KV entries and rows of each SQL table, plus whether an alarm is set. */
function gateState(tenantId: string): Promise<{ rows: Record<string, number>; alarm: number | null }> {
  return runInDurableObject(gateStub(tenantId), async (_instance: TenantGate, state) => {
    const rows: Record<string, number> = {};
    const tables = state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND substr(name, 1, 4) <> '_cf_'",
      )
      .toArray();
    for (const { name } of tables) {
      rows[name] = state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n;
    }
    rows.kv = [...state.storage.kv.list()].length;
    return { rows, alarm: await state.storage.getAlarm() };
  });
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

/** Rows in every tenant table the schema has today (the erasure finds them through the catalog). */
async function seedTenantRows(tenantId: string, email: string): Promise<void> {
  await superuser(
    `insert into audit_logs (id, request_id, timestamp, client_id, tenant_id, org_id, request_type, query, query_hash, policy_decision)
     select 'audit_erase_' || gen_random_uuid(), 'req', now(), $1, $1, $1, 'tool_call_audit', 'q', 'h', 'allowed'
     from generate_series(1, 3)`,
    [tenantId],
  );
  await superuser(
    `insert into policy_decisions (decision_id, tenant_id, org_id, client_id, request_id, timestamp, decision, call_site, policies_evaluated, statement_hash)
     values ('dec_' || gen_random_uuid(), $1, $1, $1, 'req', now(), 'allowed', 'check_input', 1, 'h')`,
    [tenantId],
  );
  await superuser(
    `insert into policy_overrides (tenant_id, org_id, policy_id, policy_type, override_reason, ttl_seconds, created_by, expires_at)
     values ($1, $1, 'sys_x', 'static', 'test', 60, 'me', now() + interval '1 minute')`,
    [tenantId],
  );
  await superuser(
    `insert into approval_requests (tenant_id, org_id, original_query, request_type, requested_by) values ($1, $1, 'q', 't', 'me')`,
    [tenantId],
  );
  await superuser(
    `insert into static_policies (org_id, policy_id, name, category, pattern, tenant_id)
     values ($1, 'sp_' || gen_random_uuid(), 'n', 'c', 'x', $1)`,
    [tenantId],
  );
  await superuser(
    `insert into dynamic_policies (org_id, policy_id, name, policy_type, tenant_id)
     values ($1, 'dp_' || gen_random_uuid(), 'n', 'content', $1)`,
    [tenantId],
  );
  await superuser(
    `insert into community_saas_daily_usage (tenant_id, org_id, day, req_count) values ($1, $1, current_date - 1, 7)`,
    [tenantId],
  );
  await superuser(
    `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, issued_at, revoked_at)
     values ($1, $1, $2, 'Pro', now() - interval '40 days', now() - interval '30 days')`,
    [tenantId, email],
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("erasure, end to end through the mail sink", () => {
  it("mails a token, erases every row, the gate's state and the credentials; a replay answers 410", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const id = tenant.tenant_id;
    // Activity the gate holds (counters, pending usage, an outbox row), part of it flushed.
    expect((await explainAs(tenant)).status).toBe(200);
    expect((await toolCall(tenant)).status).toBe(201);
    expect(await runDurableObjectAlarm(gateStub(id))).toBe(true);
    expect((await toolCall(tenant)).status).toBe(201);
    await seedTenantRows(id, email);
    const before = await tenantRows(id);
    expect(before.community_saas_registrations).toBe(1);

    const token = await requestToken(id, email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const mail = (await mailTo(email)).find((m) => m.subject === DELETION_EMAIL_SUBJECT);
    const confirmUrl = `https://try.getaxonflow.com/api/v1/tenant/${id}/delete-confirm`;
    expect(mail?.from).toBe("AxonFlow <compliance@getaxonflow.com>");
    expect(mail?.text).toContain(`curl -X POST '${confirmUrl}'`);
    expect(mail?.text).toContain(`-d '{"token":"${token}"}'`);
    expect(mail?.html).toContain(token);
    const [row] = await tokenRows(id);
    expect(row).toEqual({
      token_hash: await hmacHex(FALLBACK_PEPPER, token),
      org_id: id,
      email,
      requesting_ip_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      ttl_seconds: 3600,
      consumed: false,
    });
    expect(nonZero((await gateState(id)).rows)).not.toEqual({});

    const response = await confirm(id, { token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["message", "tenant_id", "deleted_at", "deleted_rows", "refund_needed"]);
    expect(body).toEqual({
      message: M.success,
      tenant_id: id,
      deleted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      deleted_rows: {
        registrations: 1,
        licenses: 1,
        audit_logs: before.audit_logs,
        daily_usage: before.community_saas_daily_usage,
        usage_events: 0,
      },
      refund_needed: false,
    });
    expect(before.audit_logs).toBeGreaterThanOrEqual(4);
    expect(Math.abs(Date.parse(String(body.deleted_at)) - Date.now())).toBeLessThan(10_000);

    // Nothing of the tenant is left but the erasure's own records.
    const after = await tenantRows(id);
    for (const table of ERASURE_RECORDS) delete after[table];
    expect(nonZero(after)).toEqual({});
    const [log] = await logRows(id);
    const expectedCounts = Object.fromEntries(
      Object.entries(before).filter(([table]) => !ERASURE_RECORDS.includes(table)),
    );
    expect(log).toEqual({
      email,
      deletion_token_jti: row?.token_hash,
      deleted_registrations: 1,
      deleted_licenses: 1,
      deleted_audit_logs: before.audit_logs,
      deleted_daily_usage: before.community_saas_daily_usage,
      deleted_usage_events: 0,
      deleted_rows: expectedCounts,
      stripe_customer_id: null,
      stripe_archive_ok: null,
      stripe_archive_error: null,
      refund_needed: false,
      refund_note: null,
    });
    expect((await tokenRows(id))[0]?.consumed).toBe(true);

    // The old credentials are refused; the gate holds nothing and still answers.
    await expectErrorA(await explainAs(tenant), 401, AUTH_MESSAGES.invalid);
    const gate = await gateState(id);
    expect(nonZero(gate.rows)).toEqual({});
    expect(gate.alarm).toBeNull();

    await expectErrorA(await confirm(id, { token }), 410, M.tokenUsed);
  });

  it("lets exactly one of concurrent confirms of one token erase", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const token = await requestToken(tenant.tenant_id, email);
    const responses = await Promise.all([1, 2, 3].map(() => confirm(tenant.tenant_id, { token })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 410, 410]);
    for (const r of responses.filter((r) => r.status === 410)) await expectErrorA(r, 410, M.tokenUsed);
    expect(await logRows(tenant.tenant_id)).toHaveLength(1);
  });

  it("leaves no rows when the gate flushes while the erasure runs", async () => {
    for (let round = 0; round < 3; round++) {
      const email = uniqueEmail();
      const tenant = await registerTenant({ email });
      const id = tenant.tenant_id;
      expect((await toolCall(tenant)).status).toBe(201);
      expect((await toolCall(tenant)).status).toBe(201);
      const token = await requestToken(id, email);
      const [response] = await Promise.all([confirm(id, { token }), runDurableObjectAlarm(gateStub(id))]);
      expect(response.status).toBe(200);
      // A flush that ran first left rows the erasure counted; one that raced it was cleaned after.
      const after = await tenantRows(id);
      for (const table of ERASURE_RECORDS) delete after[table];
      expect(nonZero(after)).toEqual({});
      expect(nonZero((await gateState(id)).rows)).toEqual({});
      // Records of requests admitted before the erasure that arrive late are dropped.
      expect(await runDurableObjectAlarm(gateStub(id))).toBe(false);
    }
  });

  it("finds tables through the catalog and deletes children before parents", async () => {
    const suffix = crypto.randomUUID().replace(/-/g, "").slice(0, 12);
    // Alphabetically between the registrations and the licenses, so name order would break the keys.
    const child = `erasure_probe_${suffix}`;
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const id = tenant.tenant_id;
    await superuser(
      `create table public.${child} (
         id serial primary key,
         client_id varchar(255) not null references public.community_saas_registrations (tenant_id),
         license_id uuid references public.plugin_user_licenses (license_id))`,
    );
    try {
      await superuser(`grant all on public.${child} to axonflow_platform_admin`);
      const [license] = await superuser<{ license_id: string }>(
        `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, revoked_at)
         values ($1, $1, $2, 'Pro', now()) returning license_id`,
        [id, email],
      );
      await superuser(`insert into public.${child} (client_id, license_id) values ($1, $2), ($1, null)`, [
        id,
        license?.license_id,
      ]);
      const token = await requestToken(id, email);
      const response = await confirm(id, { token });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { deleted_rows: unknown }).deleted_rows).toMatchObject({
        registrations: 1,
        licenses: 1,
      });
      const [log] = await logRows(id);
      expect(log?.deleted_rows).toMatchObject({ [child]: 2 });
      const [left] = await superuser<{ n: number }>(`select count(*)::int as n from public.${child}`);
      expect(left?.n).toBe(0);
    } finally {
      await superuser(`drop table if exists public.${child}`);
    }
  });
});

describe("TenantGate.erase()", () => {
  it("waits for a running flush, then leaves the gate empty, without an alarm, and working", async () => {
    const tenant = await registerTenant();
    const id = tenant.tenant_id;
    expect((await toolCall(tenant)).status).toBe(201);
    const order = await runInDurableObject(gateStub(id), async (instance: TenantGate) => {
      const events: string[] = [];
      const flush = instance.alarm().then(() => events.push("flushed"));
      await instance.erase();
      events.push("erased");
      await flush;
      return events;
    });
    expect(order).toEqual(["flushed", "erased"]);
    // What the flush wrote is in Postgres (the route deletes it next); the gate holds nothing.
    expect((await tenantRows(id)).audit_logs).toBe(1);
    expect(await gateState(id)).toEqual({ rows: { outbox: 0, idempotency: 0, mcp_sessions: 0, kv: 0 }, alarm: null });
    // Its tables are back: requests pass through it, and late records are dropped.
    expect((await explainAs(tenant)).status).toBe(200);
    expect((await toolCall(tenant)).status).toBe(201);
    expect((await gateState(id)).rows.outbox).toBe(0);
  });
});

describe("delete-confirm: a failing erasure changes nothing", () => {
  it("answers 500, rolls everything back and keeps the token usable", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const id = tenant.tenant_id;
    await seedTenantRows(id, email);
    const token = await requestToken(id, email);
    const before = await tenantRows(id);
    const fn = `erasure_test_fail_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
    // The log insert is the erasure's last statement: every delete before it has run.
    await superuser(
      `create function public.${fn}() returns trigger language plpgsql as $$
       begin
         if new.tenant_id = '${id}' then raise exception 'test-only failure'; end if;
         return new;
       end $$`,
    );
    try {
      await superuser(
        `create trigger ${fn} before insert on public.tenant_deletion_log for each row execute function public.${fn}()`,
      );
      await expectErrorA(await confirm(id, { token }), 500, M.completeFailed);
      expect(await tenantRows(id)).toEqual(before);
      expect((await tokenRows(id))[0]?.consumed).toBe(false);
      expect(await logRows(id)).toEqual([]);
      expect((await explainAs(tenant)).status).toBe(200);
    } finally {
      await superuser(`drop trigger if exists ${fn} on public.tenant_deletion_log`);
      await superuser(`drop function if exists public.${fn}()`);
    }
    expect((await confirm(id, { token })).status).toBe(200);
    await expectErrorA(await explainAs(tenant), 401, AUTH_MESSAGES.invalid);
  });

  it("answers 500 Failed to verify deletion token when the lookup fails", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const token = await requestToken(tenant.tenant_id, email);
    await superuser("revoke execute on function public.csaas_tenant_delete_lookup(text) from axonflow_app_role");
    try {
      await expectErrorA(await confirm(tenant.tenant_id, { token }), 500, M.verifyFailed);
    } finally {
      await superuser("grant execute on function public.csaas_tenant_delete_lookup(text) to axonflow_app_role");
    }
    expect((await tokenRows(tenant.tenant_id))[0]?.consumed).toBe(false);
  });
});

describe("refund flag and Stripe customer archive", () => {
  const stripeRequests = async () =>
    (await (await fetch(`${inject("stripeUrl")}/requests`)).json()) as {
      method: string;
      id: string;
      authorized: boolean;
    }[];

  async function tenantWithLicense(customerId: string | null, issuedDaysAgo = 0) {
    const email = uniqueEmail("pro");
    const tenant = await registerTenant({ email });
    const [license] = await superuser<{ issued_at: Date }>(
      `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, stripe_customer_id, issued_at)
       values ($1, $1, $2, 'Pro', $3, date_trunc('second', now()) - make_interval(days => $4)) returning issued_at`,
      [tenant.tenant_id, email, customerId, issuedDaysAgo],
    );
    return { tenant, email, issuedAt: license?.issued_at as Date };
  }

  it("flags a Pro license within 14 days for a refund and archives its customer", async () => {
    const customer = `cus_ok_${crypto.randomUUID().slice(0, 8)}`;
    const { tenant, email, issuedAt } = await tenantWithLicense(customer, 3);
    const token = await requestToken(tenant.tenant_id, email);
    const response = await confirm(tenant.tenant_id, { token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const issued = `${issuedAt.toISOString().slice(0, 19)}Z`;
    expect(body).toMatchObject({
      deleted_rows: { registrations: 1, licenses: 1, audit_logs: 0, daily_usage: 0, usage_events: 0 },
      refund_needed: true,
      refund_note: `Active Pro license issued at ${issued} (within 14-day refund window). Manual Stripe refund required.`,
      stripe_archived: true,
    });
    expect(Object.keys(body)).toEqual([
      "message",
      "tenant_id",
      "deleted_at",
      "deleted_rows",
      "refund_needed",
      "refund_note",
      "stripe_archived",
    ]);
    expect((await stripeRequests()).filter((r) => r.id === customer)).toEqual([
      expect.objectContaining({ method: "DELETE", authorized: true }),
    ]);
    expect((await logRows(tenant.tenant_id))[0]).toMatchObject({
      stripe_customer_id: customer,
      stripe_archive_ok: true,
      stripe_archive_error: null,
      refund_needed: true,
      refund_note: body.refund_note,
    });
  });

  it("still erases when Stripe fails, and records the error", async () => {
    const customer = `cus_fail_${crypto.randomUUID().slice(0, 8)}`;
    const { tenant, email } = await tenantWithLicense(customer, 30);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const token = await requestToken(tenant.tenant_id, email);
    const response = await confirm(tenant.tenant_id, { token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ refund_needed: false, stripe_archived: false });
    expect(body).not.toHaveProperty("refund_note");
    expect((await logRows(tenant.tenant_id))[0]).toMatchObject({
      stripe_customer_id: customer,
      stripe_archive_ok: false,
      stripe_archive_error: expect.stringContaining("stand-in failure"),
    });
    expect(nonZero(await tenantRows(tenant.tenant_id))).toEqual({
      community_saas_deletion_tokens: 1,
      tenant_deletion_log: 1,
    });
    const logged = errors.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain("tenant_delete_stripe_archive_failed");
    expect(logged).not.toContain("sk_test_vitest_stand_in");
  });

  it("attempts nothing without a customer or without STRIPE_SECRET_KEY", async () => {
    const { tenant, email } = await tenantWithLicense(null, 1);
    const token = await requestToken(tenant.tenant_id, email);
    const body = (await (await confirm(tenant.tenant_id, { token })).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ refund_needed: true });
    expect(body).not.toHaveProperty("stripe_archived");

    const customer = `cus_ok_${crypto.randomUUID().slice(0, 8)}`;
    const keyless = await tenantWithLicense(customer, 1);
    const keylessToken = await requestToken(keyless.tenant.tenant_id, keyless.email);
    // The billing Worker answers null when it holds no STRIPE_SECRET_KEY (see below).
    const keylessBilling = { archiveStripeCustomer: async () => null } as unknown as BillingBinding;
    const response = await callWithEnv(
      { BILLING: keylessBilling },
      `/api/v1/tenant/${keyless.tenant.tenant_id}/delete-confirm`,
      {
        ...json({ token: keylessToken }),
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomLoopback() },
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty("stripe_archived");
    expect((await stripeRequests()).filter((r) => r.id === customer)).toEqual([]);
    expect((await logRows(keyless.tenant.tenant_id))[0]).toMatchObject({
      stripe_customer_id: customer,
      stripe_archive_ok: null,
    });
  });

  it("has the billing Worker attempt nothing without STRIPE_SECRET_KEY, and archive with it", async () => {
    const keyless = new BillingService(createExecutionContext(), { ...testEnv, STRIPE_SECRET_KEY: "" });
    const customer = `cus_ok_${crypto.randomUUID().slice(0, 8)}`;
    expect(await keyless.archiveStripeCustomer(customer, 2_000)).toBeNull();
    expect((await stripeRequests()).filter((r) => r.id === customer)).toEqual([]);
    expect(await testEnv.BILLING?.archiveStripeCustomer(customer, 2_000)).toEqual({ ok: true });
    expect((await stripeRequests()).filter((r) => r.id === customer)).toHaveLength(1);
  });

  it("erases without an archive where no billing Worker is bound", async () => {
    const customer = `cus_ok_${crypto.randomUUID().slice(0, 8)}`;
    const { tenant, email } = await tenantWithLicense(customer, 1);
    const token = await requestToken(tenant.tenant_id, email);
    const response = await callWithEnv({ BILLING: undefined }, `/api/v1/tenant/${tenant.tenant_id}/delete-confirm`, {
      ...json({ token }),
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomLoopback() },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).not.toHaveProperty("stripe_archived");
    expect((await stripeRequests()).filter((r) => r.id === customer)).toEqual([]);
  });
});

describe("POST /api/v1/tenant/{id}/delete-request answers the same whatever the pair", () => {
  it("gives matched, unmatched and rate-limited pairs the same answer after the same work", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const other = await registerTenant({ email: uniqueEmail() });
    const limitedEmail = uniqueEmail();
    const limited = await registerTenant({ email: limitedEmail });
    const wrongEmail = uniqueEmail("wrong");
    await requestToken(limited.tenant_id, limitedEmail);
    await deleteRequest(other.tenant_id, { email: wrongEmail }); // warm the isolate's guard check

    const cases = {
      matched: await deleteRequest(tenant.tenant_id, { email }),
      wrongEmail: await deleteRequest(other.tenant_id, { email: wrongEmail }),
      unknownTenant: await deleteRequest(`cs_${crypto.randomUUID()}`, { email }),
      tenantLimited: await deleteRequest(limited.tenant_id, { email: limitedEmail }),
    };
    for (const response of Object.values(cases)) {
      expect(response.status).toBe(202);
      expect(response.headers.get("Content-Type")).toBe("application/json");
      expect(response.headers.get("X-Axonflow-Request-Cost")).toBe("do=0; db=1");
      expect(await response.json()).toEqual(GENERIC);
    }
    expect(await tokenRows(tenant.tenant_id)).toHaveLength(1);
    expect(await tokenRows(other.tenant_id)).toEqual([]);
    expect(await tokenRows(limited.tenant_id)).toHaveLength(1);
    expect(await mailTo(email)).toHaveLength(1);
    expect(await mailTo(wrongEmail, 1, 300)).toEqual([]);
  });

  it("takes the sender and the confirm URL's origin from the configuration", async () => {
    const send = async (overrides: Record<string, string>, email: string) => {
      const tenant = await registerTenant({ email });
      const response = await callWithEnv(overrides, `/api/v1/tenant/${tenant.tenant_id}/delete-request`, {
        ...json({ email }),
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomLoopback() },
      });
      expect(response.status).toBe(202);
      return { tenant, mail: (await mailTo(email))[0] };
    };
    const recovery = await send({ AXONFLOW_RECOVERY_FROM_EMAIL: "Recovery <recovery@example.com>" }, uniqueEmail());
    expect(recovery.mail?.from).toBe("Recovery <recovery@example.com>");
    const own = await send(
      {
        AXONFLOW_RECOVERY_FROM_EMAIL: "Recovery <recovery@example.com>",
        AXONFLOW_DELETE_FROM_EMAIL: "Compliance <gdpr@example.com>",
        AXONFLOW_DELETE_BASE_URL: "http://127.0.0.1:8787/",
      },
      uniqueEmail(),
    );
    expect(own.mail?.from).toBe("Compliance <gdpr@example.com>");
    expect(own.mail?.subject).toBe(DELETION_EMAIL_SUBJECT);
    expect(own.mail?.text).toContain(`'http://127.0.0.1:8787/api/v1/tenant/${own.tenant.tenant_id}/delete-confirm'`);
  });

  it("stores the HMAC of the token, the hash of the client IP and a one-hour expiry", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const ip = randomLoopback();
    expect((await deleteRequest(tenant.tenant_id, { email: `  ${email.toUpperCase()} ` }, ip)).status).toBe(202);
    const [row] = await tokenRows(tenant.tenant_id);
    expect(row).toMatchObject({
      email,
      org_id: tenant.tenant_id,
      requesting_ip_hash: await sha256Hex(ip),
      ttl_seconds: 3600,
    });
    const token = (await mailTo(email))[0]?.text.match(/"token":"([A-Za-z0-9_-]{43})"/)?.[1] ?? "";
    expect(row?.token_hash).toBe(await hmacHex(FALLBACK_PEPPER, token));
  });

  it("spends 1 request per IP per minute: over it, 202 and no token", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const ip = randomLoopback();
    expect((await deleteRequest(`cs_${crypto.randomUUID()}`, { email: uniqueEmail() }, ip)).status).toBe(202);
    const response = await deleteRequest(tenant.tenant_id, { email }, ip);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual(GENERIC);
    expect(await tokenRows(tenant.tenant_id)).toEqual([]);
  });

  it("issues one token per tenant per hour, even for parallel requests", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const responses = await Promise.all([1, 2, 3, 4].map(() => deleteRequest(tenant.tenant_id, { email })));
    for (const r of responses) expect(await r.json()).toEqual(GENERIC);
    expect(await tokenRows(tenant.tenant_id)).toHaveLength(1);
    expect(await mailTo(email, 2, 500)).toHaveLength(1);
  });

  it("does not issue tokens for terminated tenants", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    await superuser("update community_saas_registrations set terminated_at = now() where tenant_id = $1", [
      tenant.tenant_id,
    ]);
    expect(await (await deleteRequest(tenant.tenant_id, { email })).json()).toEqual(GENERIC);
    expect(await tokenRows(tenant.tenant_id)).toEqual([]);
  });

  it("never logs the token or the full email", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const lines: string[] = [];
    for (const method of ["log", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((line: unknown) => {
        lines.push(String(line));
      });
    }
    const token = await requestToken(tenant.tenant_id, email);
    await confirm(tenant.tenant_id, { token });
    const text = lines.join("\n");
    expect(text).toContain("tenant_delete_requested");
    expect(text).toContain("tenant_deleted");
    expect(text).not.toContain(email);
    expect(text).not.toContain(token);
  });
});

describe("delete-request and delete-confirm validation (§7.1, §7.2)", () => {
  const routes = [
    { action: "delete-request", notAllowed: M.requestMethodNotAllowed },
    { action: "delete-confirm", notAllowed: M.confirmMethodNotAllowed },
  ];

  for (const { action, notAllowed } of routes) {
    it(`${action}: 405 with Allow for other methods`, async () => {
      for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
        for (const id of ["cs_x", ""]) {
          const response = await call(`/api/v1/tenant/${id}/${action}`, { method });
          expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
          await expectErrorA(response, 405, notAllowed);
        }
      }
    });

    it(`${action}: 400 for an empty path id, 413 over 4096 bytes, 400 for bad JSON`, async () => {
      await expectErrorA(await call(`/api/v1/tenant//${action}`, json({})), 400, M.missingTenantId);
      await expectErrorA(await call(`/api/v1/tenant/%20/${action}`, json({})), 400, M.missingTenantId);
      const huge = JSON.stringify({ email: "a@example.com", token: "x", pad: "p".repeat(4096) });
      await expectErrorA(await call(`/api/v1/tenant/cs_x/${action}`, json(huge)), 413, M.tooLarge);
      for (const bad of ["{", "", "[1]", '"x"', '{"email":5,"token":5}']) {
        await expectErrorA(
          await call(`/api/v1/tenant/cs_x/${action}`, { ...json(bad), ip: randomLoopback() }),
          400,
          M.invalidJson,
        );
      }
    });

    it(`${action}: 503 without a database, 404 when registration is disabled`, async () => {
      const init = {
        ...json({ email: "a@example.com", token: "t" }),
        headers: { "CF-Connecting-IP": randomLoopback() },
      };
      await expectErrorA(
        await callWithEnv({ AXONFLOW_DB_APP_ROLE_URL: "" }, `/api/v1/tenant/cs_x/${action}`, init),
        503,
        "Service temporarily unavailable",
      );
      await expectErrorA(
        await callWithEnv({ AXONFLOW_DB_APP_ROLE_URL: "" }, `/api/v1/tenant//${action}`, init),
        503,
        "Service temporarily unavailable",
      );
      await expectErrorA(
        await callWithEnv({ COMMUNITY_SAAS_REGISTRATION_ENABLED: "false" }, `/api/v1/tenant/cs_x/${action}`, init),
        404,
        "Not found",
      );
    });
  }

  it("delete-request: 400 Invalid email for malformed or missing emails", async () => {
    for (const email of [
      undefined,
      null,
      "",
      "   ",
      "nobody",
      "a@bc",
      "@example.com",
      "x@nodot",
      `${"a".repeat(250)}@example.com`,
    ]) {
      await expectErrorA(await deleteRequest("cs_x", email === undefined ? {} : { email }), 400, M.invalidEmail);
    }
    await expectErrorA(await deleteRequest("cs_x", null), 400, M.invalidEmail);
  });

  it("delete-confirm: 400 Missing token, 401 for unknown tokens and tokens of another tenant", async () => {
    for (const body of [{}, { token: "" }, { token: "   " }, { token: null }, null]) {
      await expectErrorA(await confirm("cs_x", body), 400, M.missingToken);
    }
    await expectErrorA(await confirm("cs_x", { token: "A".repeat(43) }), 401, M.invalidToken);

    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const other = await registerTenant();
    const token = await requestToken(tenant.tenant_id, email);
    await expectErrorA(await confirm(other.tenant_id, { token }), 401, M.invalidToken);
    // Path id and token are trimmed.
    const response = await confirm(`${tenant.tenant_id}%20`, { token: ` ${token} ` });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { tenant_id: string }).tenant_id).toBe(tenant.tenant_id);
    expect((await explainAs(other)).status).toBe(200);
  });

  it("delete-confirm: 410 for used and expired tokens, before the tenant match", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    const other = await registerTenant();
    const token = await requestToken(tenant.tenant_id, email);
    await superuser(
      "update community_saas_deletion_tokens set expires_at = now() - interval '1 second' where tenant_id = $1",
      [tenant.tenant_id],
    );
    await expectErrorA(await confirm(tenant.tenant_id, { token }), 410, M.tokenExpired);
    await expectErrorA(await confirm(other.tenant_id, { token }), 410, M.tokenExpired);
    await superuser(
      "update community_saas_deletion_tokens set expires_at = now() + interval '1 hour', consumed_at = now() where tenant_id = $1",
      [tenant.tenant_id],
    );
    await expectErrorA(await confirm(tenant.tenant_id, { token }), 410, M.tokenUsed);
    await expectErrorA(await confirm(other.tenant_id, { token }), 410, M.tokenUsed);
    expect((await explainAs(tenant)).status).toBe(200);
  });
});
