import { describe, expect, it } from "vitest";
import { hashSecret } from "../../src/credentials/secret-hash";
import { REGISTER_MESSAGES as M } from "../../src/features/register/schema";
import { TEST_PEPPER } from "../support/constants";
import { superuser } from "../support/db";
import { call, callWithEnv, expectErrorA, randomLoopback, registerTenant } from "../support/http";

/** A fresh client address per request keeps per-IP budgets out of these tests. */
const nextIp = randomLoopback;

const register = (init: RequestInit & { ip?: string } = {}) =>
  call("/api/v1/register", { method: "POST", ip: nextIp(), ...init });
const registerJson = (body: unknown) =>
  register({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

describe("POST /api/v1/register — success", () => {
  it("creates a tenant and answers 201 with the credential bundle", async () => {
    const response = await registerJson({ label: "claude-code-plugin@1.13.0 / darwin-arm64" });
    expect(response.status).toBe(201);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["tenant_id", "secret", "secret_prefix", "expires_at", "endpoint", "note"]);
    expect(body.tenant_id).toMatch(/^cs_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(body.secret_prefix).toBe(body.secret?.slice(0, 8));
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const days = (Date.parse(body.expires_at as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364.9);
    expect(days).toBeLessThanOrEqual(365);
    expect(body.endpoint).toBe("http://127.0.0.1:8787");
    expect(body.note).toBe(
      "Free tier: 3-day audit retention, 200 events/day. Tenants are deprovisioned after 3 months of inactivity, or 1 year from creation regardless of activity (data disassociated, tenant terminated). Plugin Pro upgrades to 30-day retention and 1,000 events/day for 90 days ($9.99) — see https://www.getaxonflow.com/pricing/.",
    );

    const [row] = await superuser<Record<string, unknown>>(
      "select secret_hash, secret_prefix, org_id, client_id, label, claimed_by_email, request_count from community_saas_registrations where tenant_id = $1",
      [body.tenant_id],
    );
    expect(row).toEqual({
      secret_hash: await hashSecret(body.secret as string, TEST_PEPPER),
      secret_prefix: body.secret_prefix,
      org_id: body.tenant_id,
      client_id: body.tenant_id,
      label: "claude-code-plugin@1.13.0 / darwin-arm64",
      claimed_by_email: null,
      request_count: "0",
    });
  });

  it.each([
    ["an empty body with a JSON content type", { headers: { "Content-Type": "application/json" } }],
    ["an empty body without a content type", {}],
    ["an empty object", { headers: { "Content-Type": "application/json" }, body: "{}" }],
    ["a JSON null", { headers: { "Content-Type": "application/json; charset=utf-8" }, body: "null" }],
    ["unknown fields", { headers: { "Content-Type": "application/json" }, body: '{"foo":1,"label":null}' }],
  ])("accepts %s", async (_name, init) => {
    const response = await register(init);
    expect(response.status).toBe(201);
  });

  it("stores the email trimmed and lower-cased", async () => {
    const email = `Someone.${crypto.randomUUID().slice(0, 8)}@Example.COM`;
    const { tenant_id } = await registerTenant({ email: `  ${email} ` });
    const [row] = await superuser<{ claimed_by_email: string; claimed: boolean }>(
      "select claimed_by_email, claimed_at is not null as claimed from community_saas_registrations where tenant_id = $1",
      [tenant_id],
    );
    expect(row).toEqual({ claimed_by_email: email.toLowerCase(), claimed: true });
  });

  it("uses an allow-listed internal prefix in place of cs_", async () => {
    const { tenant_id } = await registerTenant({ internal_tenant_id_prefix: "axonflow-internal-canary-" });
    expect(tenant_id).toMatch(/^axonflow-internal-canary-[0-9a-f-]{36}$/);
  });
});

describe("POST /api/v1/register — errors", () => {
  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with 405 and Allow", async (method) => {
    const response = await call("/api/v1/register", { method, ip: nextIp() });
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    await expectErrorA(response, 405, M.methodNotAllowed);
  });

  it("answers 415 for a non-JSON content type", async () => {
    await expectErrorA(
      await register({ headers: { "Content-Type": "text/plain" }, body: "{}" }),
      415,
      M.unsupportedMediaType,
    );
  });

  it("answers 413 above 1024 bytes, by declared or streamed size", async () => {
    const big = JSON.stringify({ label: "x".repeat(1100) });
    await expectErrorA(await register({ headers: { "Content-Type": "application/json" }, body: big }), 413, M.tooLarge);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    await expectErrorA(
      await register({ headers: { "Content-Type": "application/json" }, body: stream, duplex: "half" } as RequestInit),
      413,
      M.tooLarge,
    );
  });

  it.each([
    ["not JSON", "{label:"],
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["a number label", '{"label":5}'],
    ["an object email", '{"email":{}}'],
  ])("answers 400 Invalid JSON for %s", async (_name, body) => {
    await expectErrorA(await register({ headers: { "Content-Type": "application/json" }, body }), 400, M.invalidJson);
  });

  it("limits the label to 255 bytes", async () => {
    expect((await registerJson({ label: "x".repeat(255) })).status).toBe(201);
    await expectErrorA(await registerJson({ label: "x".repeat(256) }), 400, M.labelTooLong);
    await expectErrorA(await registerJson({ label: "é".repeat(128) }), 400, M.labelTooLong);
  });

  it("rejects an unknown internal prefix", async () => {
    await expectErrorA(await registerJson({ internal_tenant_id_prefix: "evil-" }), 400, M.badPrefix);
  });

  it.each(["abcd@.x", "nobody", "@example.com", "someone@example", "someone@.c", `${"a".repeat(250)}@example.com`])(
    "rejects the email %s",
    async (email) => {
      await expectErrorA(await registerJson({ email }), 400, M.badEmail);
    },
  );

  it("keeps the reference's lax email rule (a@b.c is accepted)", async () => {
    expect((await registerJson({ email: `a@b${crypto.randomUUID().slice(0, 6)}.c` })).status).toBe(201);
  });

  it("checks fields in the reference's order (label before prefix before email)", async () => {
    await expectErrorA(
      await registerJson({ label: "x".repeat(300), internal_tenant_id_prefix: "evil-", email: "bad" }),
      400,
      M.labelTooLong,
    );
    await expectErrorA(await registerJson({ internal_tenant_id_prefix: "evil-", email: "bad" }), 400, M.badPrefix);
  });

  it("allows 3 active tenants per email, then answers 409", async () => {
    const email = `cap-${crypto.randomUUID()}@example.com`;
    for (let i = 0; i < 3; i++) expect((await registerJson({ email })).status).toBe(201);
    await expectErrorA(await registerJson({ email: email.toUpperCase() }), 409, M.emailCap);
  });

  it("does not count terminated, disabled or expired tenants against the cap", async () => {
    const email = `cap-inactive-${crypto.randomUUID()}@example.com`;
    for (let i = 0; i < 3; i++) await registerTenant({ email });
    await superuser(
      `update community_saas_registrations set terminated_at = now()
       where tenant_id = (select tenant_id from community_saas_registrations where claimed_by_email = $1 limit 1)`,
      [email],
    );
    expect((await registerJson({ email })).status).toBe(201);
    await expectErrorA(await registerJson({ email }), 409, M.emailCap);
  });

  it("holds the cap exactly under parallel registrations", async () => {
    const email = `cap-parallel-${crypto.randomUUID()}@example.com`;
    const responses = await Promise.all(Array.from({ length: 8 }, () => registerJson({ email })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409]);
    const [row] = await superuser<{ n: string }>(
      "select count(*) as n from community_saas_registrations where claimed_by_email = $1",
      [email],
    );
    expect(row?.n).toBe("3");
  });

  it("is absent (404) when registration is switched off", async () => {
    const response = await callWithEnv({ COMMUNITY_SAAS_REGISTRATION_ENABLED: "false" }, "/api/v1/register", {
      method: "POST",
      headers: { "CF-Connecting-IP": nextIp() },
    });
    await expectErrorA(response, 404, "Not found");
  });
});
