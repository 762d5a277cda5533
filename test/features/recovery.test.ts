import { afterEach, describe, expect, it, vi } from "vitest";
import { RECOVERY_MESSAGES as M, RECOVERY_PAGE_MESSAGES as P } from "../../src/features/recovery/messages";
import { RECOVERED_EMAIL_SUBJECT, RECOVERY_EMAIL_SUBJECT } from "../../src/mail/recovery-email";
import { superuser } from "../support/db";
import { basic, call, callWithEnv, expectErrorA, randomLoopback, registerTenant } from "../support/http";
import { mailTo } from "../support/stripe";

const GENERIC = { message: M.generic };

const uniqueEmail = (tag = "recover") => `${tag}-${crypto.randomUUID().slice(0, 12)}@example.com`;

const recover = (body: unknown, ip = randomLoopback(), init: RequestInit = {}) =>
  call("/api/v1/recover", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ip,
    ...init,
  });

const verifyPage = (token?: string) =>
  call(`/api/v1/recover/verify${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`);

const consume = (token: string, contentType = "application/json") =>
  call("/api/v1/recover/verify", {
    method: "POST",
    headers: contentType ? { "Content-Type": contentType } : {},
    body: contentType.startsWith("application/x-www-form-urlencoded")
      ? new URLSearchParams({ token }).toString()
      : JSON.stringify({ token }),
  });

const explainAs = (tenantId: string, secret: string) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: basic(tenantId, secret) },
    body: "{}",
  });

const tokenRows = (email: string) =>
  superuser<{ consumed: boolean; consumed_by_tenant: string | null; ttl_seconds: number; token_hash: string }>(
    `select consumed_at is not null as consumed, consumed_by_tenant, token_hash,
            round(extract(epoch from expires_at - created_at))::int as ttl_seconds
     from community_saas_recovery_tokens where email = $1 order by created_at`,
    [email],
  );

/** Requests a link for `email` and returns the token read from the mail sink. */
async function linkToken(email: string): Promise<string> {
  const before = (await mailTo(email, 0, 0)).length;
  expect(await (await recover({ email })).json()).toEqual(GENERIC);
  const mails = await mailTo(email, before + 1);
  const mail = mails.filter((m) => m.subject === RECOVERY_EMAIL_SUBJECT).at(-1);
  const link = mail?.text.match(/https?:\/\/\S+\/api\/v1\/recover\/verify\?token=([0-9a-f]{64})/);
  expect(link, "recovery mail with a link").toBeTruthy();
  return link?.[1] ?? "";
}

async function expectPage(response: Response, status: number, text: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
  expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
  const html = await response.text();
  expect(html).toContain('<meta name="robots" content="noindex,nofollow">');
  expect(html).toContain(text);
  return html;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("recovery, end to end through the mail sink", () => {
  it("mails a link, shows a read-only confirm page, and mints a new tenant once; the old one keeps working", async () => {
    const email = uniqueEmail();
    const old = await registerTenant({ email });
    const token = await linkToken(email);
    const [row] = await tokenRows(email);
    expect(row).toMatchObject({ consumed: false, ttl_seconds: 900 });
    expect(row?.token_hash).not.toBe(token);

    // Pre-fetching the link (mail scanners) changes nothing.
    for (let i = 0; i < 2; i++) {
      const html = await expectPage(await verifyPage(token), 200, "<h1>Confirm AxonFlow recovery</h1>");
      expect(html).toContain("<title>Confirm AxonFlow Recovery</title>");
      expect(html).toContain(`Recover the AxonFlow tenant associated with ${email}?`);
      expect(html).toContain('<form method="POST" action="/api/v1/recover/verify">');
      expect(html).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(html).toContain("If you didn't request this, just close this page. No changes will be made.");
    }
    // The page carries the token: never cached, never sent on as a Referer, nothing loaded or framed.
    const headers = (await verifyPage(token)).headers;
    expect(headers.get("Cache-Control")).toBe("no-store");
    expect(headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect((await tokenRows(email))[0]?.consumed).toBe(false);

    const response = await consume(token);
    expect(response.status).toBe(200);
    const bundle = (await response.json()) as Record<string, string>;
    expect(Object.keys(bundle)).toEqual([
      "tenant_id",
      "secret",
      "secret_prefix",
      "expires_at",
      "endpoint",
      "email",
      "note",
    ]);
    expect(bundle).toMatchObject({ email, endpoint: "http://127.0.0.1:8787", note: M.success });
    expect(bundle.tenant_id).toMatch(/^cs_[0-9a-f-]{36}$/);
    expect(bundle.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(bundle.secret_prefix).toBe(bundle.secret?.slice(0, 8));
    const days = (Date.parse(bundle.expires_at ?? "") - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364.9);
    expect(days).toBeLessThan(365.1);

    expect((await explainAs(bundle.tenant_id ?? "", bundle.secret ?? "")).status).toBe(200);
    expect((await explainAs(old.tenant_id, old.secret)).status).toBe(200);
    const [registration] = await superuser<{ claimed_by_email: string; label: string; org_id: string }>(
      "select claimed_by_email, label, org_id from community_saas_registrations where tenant_id = $1",
      [bundle.tenant_id],
    );
    expect(registration).toEqual({ claimed_by_email: email, label: `recovery for ${email}`, org_id: bundle.tenant_id });
    expect(await tokenRows(email)).toEqual([
      expect.objectContaining({ consumed: true, consumed_by_tenant: bundle.tenant_id }),
    ]);

    const notice = (await mailTo(email, 2)).find((m) => m.subject === RECOVERED_EMAIL_SUBJECT);
    expect(notice?.text).toContain(bundle.tenant_id);
    expect(notice?.text).not.toContain(bundle.secret);

    await expectErrorA(await consume(token), 401, M.tokenUsed);
    await expectPage(await verifyPage(token), 401, P.consumed);
  });

  it("accepts the confirm form's urlencoded post", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    const token = await linkToken(email);
    const response = await consume(token, "application/x-www-form-urlencoded; charset=utf-8");
    expect(response.status).toBe(200);
    expect(((await response.json()) as { email: string }).email).toBe(email);
  });

  it("lets exactly one of two concurrent confirms of one link create a tenant", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    const token = await linkToken(email);
    const responses = await Promise.all([consume(token), consume(token), consume(token)]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    for (const r of responses.filter((r) => r.status === 401)) await expectErrorA(r, 401, M.tokenUsed);
    const [count] = await superuser<{ n: number }>(
      "select count(*)::int as n from community_saas_registrations where claimed_by_email = $1",
      [email],
    );
    expect(count?.n).toBe(2);
  });

  it("refuses a fourth active tenant for the email with 403 and leaves the link unused", async () => {
    const email = uniqueEmail();
    for (let i = 0; i < 3; i++) await registerTenant({ email });
    const token = await linkToken(email);
    await expectErrorA(await consume(token), 403, M.emailCap);
    expect((await tokenRows(email))[0]?.consumed).toBe(false);
    // Once a tenant is gone (disabled), the same link works.
    await superuser(
      "update community_saas_registrations set disabled_at = now() where tenant_id = (select tenant_id from community_saas_registrations where claimed_by_email = $1 limit 1)",
      [email],
    );
    expect((await consume(token)).status).toBe(200);
  });

  it("rejects an expired link on the page and on consumption", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    const token = await linkToken(email);
    await superuser(
      "update community_saas_recovery_tokens set expires_at = now() - interval '1 second' where email = $1",
      [email],
    );
    await expectPage(await verifyPage(token), 401, P.expired);
    await expectErrorA(await consume(token), 401, M.invalidToken);
  });

  it("escapes what it shows on the confirm page", async () => {
    const email = `<b>x${crypto.randomUUID().slice(0, 8)}"'&@example.com`;
    await registerTenant({ email });
    const token = await linkToken(email.toLowerCase());
    const html = await expectPage(await verifyPage(token), 200, "Confirm AxonFlow recovery");
    expect(html).not.toContain("<b>");
    expect(html).toContain(`&lt;b&gt;x${email.slice(4, 12).toLowerCase()}&quot;&#39;&amp;@example.com`);
  });
});

describe("POST /api/v1/recover answers the same whatever the email", () => {
  it("answers the generic 202 without a link for an email that owns no tenant", async () => {
    const email = uniqueEmail("nobody");
    const response = await recover({ email });
    expect(response.status).toBe(202);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(GENERIC);
    expect(await tokenRows(email)).toEqual([]);
    expect(await mailTo(email, 1, 300)).toEqual([]);
  });

  it("does not mail terminated or disabled tenants' emails", async () => {
    const email = uniqueEmail();
    const tenant = await registerTenant({ email });
    await superuser("update community_saas_registrations set disabled_at = now() where tenant_id = $1", [
      tenant.tenant_id,
    ]);
    expect(await (await recover({ email })).json()).toEqual(GENERIC);
    expect(await tokenRows(email)).toEqual([]);
  });

  it("normalises the email (trim, lower case) before matching", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    expect(await (await recover({ email: `  ${email.toUpperCase()} ` })).json()).toEqual(GENERIC);
    expect(await tokenRows(email)).toHaveLength(1);
  });

  it("issues at most 5 links per email per hour, then still answers 202", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    const responses = await Promise.all(Array.from({ length: 7 }, () => recover({ email })));
    for (const r of responses) {
      expect(r.status).toBe(202);
      expect(await r.json()).toEqual(GENERIC);
    }
    expect(await tokenRows(email)).toHaveLength(5);
  });

  it("shares the per-IP budget with registration: over it, 202 and no link", async () => {
    const ip = randomLoopback();
    const email = uniqueEmail();
    await registerTenant({ email });
    for (let i = 0; i < 5; i++) {
      const r = await call("/api/v1/register", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
        ip,
      });
      expect(r.status).toBe(201);
    }
    const response = await recover({ email }, ip);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual(GENERIC);
    expect(await tokenRows(email)).toEqual([]);
  });

  it("never logs the token or the full email", async () => {
    const email = uniqueEmail();
    await registerTenant({ email });
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const token = await linkToken(email);
    expect((await consume(token)).status).toBe(200);
    expect(lines.some((line) => line.includes('"event":"recovery_requested"'))).toBe(true);
    expect(lines.some((line) => line.includes('"event":"tenant_recovered"'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(email);
    }
  });
});

describe("POST /api/v1/recover input errors", () => {
  it.each([
    ["an empty body", "", 400, M.invalidJson],
    ["invalid JSON", "{", 400, M.invalidJson],
    ["a JSON array", "[]", 400, M.invalidJson],
    ["an email of the wrong type", '{"email":5}', 400, M.invalidJson],
    ["a missing email", "{}", 400, M.invalidEmail],
    ["null", "null", 400, M.invalidEmail],
    ["an invalid email", '{"email":"not-an-email"}', 400, M.invalidEmail],
    ["an email without a dot in the domain", '{"email":"a@localhost"}', 400, M.invalidEmail],
    ["a body over 1024 bytes", JSON.stringify({ email: `${"a".repeat(1100)}@example.com` }), 413, M.requestTooLarge],
  ])("answers %s with shape A", async (_label, body, status, message) => {
    await expectErrorA(await recover(body), status, message);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with 405", async (method) => {
    const response = await call("/api/v1/recover", { method });
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    await expectErrorA(response, 405, M.requestMethodNotAllowed);
  });
});

describe("GET /api/v1/recover/verify error pages", () => {
  it("answers 400 without a token and 401 for an unknown one", async () => {
    const missing = await expectPage(await verifyPage(), 400, `<h1>Recovery error</h1><p>${P.missingToken}</p>`);
    expect(missing).toContain("<title>AxonFlow Recovery Error</title>");
    await expectPage(await verifyPage(""), 400, P.missingToken);
    await expectPage(await verifyPage("f".repeat(64)), 401, P.unknown);
    await expectPage(await verifyPage("<script>alert(1)</script>"), 401, P.unknown);
  });
});

describe("POST /api/v1/recover/verify input errors", () => {
  const post = (body: string, contentType?: string) =>
    call("/api/v1/recover/verify", {
      method: "POST",
      headers: contentType === undefined ? {} : { "Content-Type": contentType },
      // A string body would make fetch add text/plain.
      body: contentType === undefined ? undefined : body,
    });

  it.each([
    ["an empty JSON body", "", "application/json", 400, M.missingToken],
    ["an empty body without Content-Type", "", undefined, 400, M.missingToken],
    ["an empty token", '{"token":"  "}', "application/json", 400, M.missingToken],
    ["a form without a token", "other=1", "application/x-www-form-urlencoded", 400, M.missingToken],
    ["invalid JSON", "{", "application/json", 400, M.invalidJson],
    ["a token of the wrong type", '{"token":1}', "application/json", 400, M.invalidJson],
    ["a body over 1024 bytes", JSON.stringify({ token: "a".repeat(1100) }), "application/json", 413, M.tooLarge],
    ["text/plain", '{"token":"x"}', "text/plain", 415, M.unsupportedMediaType],
    ["an unknown token", JSON.stringify({ token: "0".repeat(64) }), "application/json", 401, M.invalidToken],
  ])("answers %s with shape A", async (_label, body, contentType, status, message) => {
    await expectErrorA(await post(body, contentType), status, message);
  });

  it.each(["PUT", "DELETE", "PATCH"])("answers %s with 405", async (method) => {
    const response = await call("/api/v1/recover/verify", { method });
    expect(response.headers.get("Allow")).toBe("GET, POST, OPTIONS");
    await expectErrorA(response, 405, M.verifyMethodNotAllowed);
  });
});

describe("recovery switched off", () => {
  it("answers 404 on every route and drops the /health capability when registration is disabled", async () => {
    const off = { COMMUNITY_SAAS_REGISTRATION_ENABLED: "false" };
    const post = { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" };
    await expectErrorA(await callWithEnv(off, "/api/v1/recover", post), 404, "Not found");
    await expectErrorA(await callWithEnv(off, "/api/v1/recover/verify?token=x"), 404, "Not found");
    await expectErrorA(await callWithEnv(off, "/api/v1/recover/verify", post), 404, "Not found");
    const health = (await (await callWithEnv(off, "/health")).json()) as { capabilities: { name: string }[] };
    expect(health.capabilities.map((c) => c.name)).not.toContain("community_saas_recovery");
  });

  it("answers 503 (a page on GET) when the database is not configured", async () => {
    const noDb = { AXONFLOW_DB_APP_ROLE_URL: "" };
    await expectErrorA(
      await callWithEnv(noDb, "/api/v1/recover", { method: "POST", body: '{"email":"a@example.com"}' }),
      503,
      "Service temporarily unavailable",
    );
    await expectPage(await callWithEnv(noDb, "/api/v1/recover/verify?token=x"), 503, "Service temporarily unavailable");
  });
});
