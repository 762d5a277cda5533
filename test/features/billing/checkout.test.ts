/** checkout.session.completed → one Pro license per session, emailed, replayed byte for byte. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkoutEvent } from "../../../scripts/stripe-events.mjs";
import { decodeLicenseToken } from "../../../src/license/codec";
import { LICENSE_EMAIL_SUBJECT } from "../../../src/mail/license-email";
import { superuser } from "../../support/db";
import { basic, call, expectErrorA, registerTenant } from "../../support/http";
import { deliver, mailTo } from "../../support/stripe";

const buyer = () => `buyer-${crypto.randomUUID().slice(0, 8)}@example.com`;

interface Issued {
  status: string;
  license_id: string;
  jti: string;
  token: string;
  tenant_id: string;
  tier: string;
  issued_at: string;
}

const explainWith = (tenant: { tenant_id: string; secret: string }, token: string) =>
  call("/api/v1/governance/explain", {
    method: "POST",
    headers: {
      Authorization: basic(tenant.tenant_id, tenant.secret),
      "X-License-Token": token,
      "X-Axonflow-Client": "cursor-plugin/1.7.0",
    },
  });

afterEach(() => {
  vi.useRealTimers();
});

describe("checkout.session.completed", () => {
  it("issues a Pro license, answers with the token and emails it", async () => {
    const tenant = await registerTenant();
    const email = buyer();
    const event = checkoutEvent({ tenantId: tenant.tenant_id, email });
    const response = await deliver(event);
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Sensitive-Body")).toBe("token");
    const body = (await response.json()) as Issued;
    expect(Object.keys(body)).toEqual(["status", "license_id", "jti", "token", "tenant_id", "tier", "issued_at"]);
    expect(body).toMatchObject({ status: "issued", tenant_id: tenant.tenant_id, tier: "Pro" });
    expect(body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const decoded = decodeLicenseToken(body.token);
    expect(decoded.ok && decoded.token.claims).toMatchObject({
      tier: "Pro",
      tenant_id: tenant.tenant_id,
      aud: "axonflow.saas.plugin",
      jti: body.jti,
      email,
      deployment_id: "axonflow-community-saas",
      org_id: "axonflow-community-saas",
    });
    const claims = decoded.ok ? decoded.token.claims : {};
    const days =
      (Date.parse(`${claims.expires_at?.replace(/(\d{4})(\d\d)(\d\d)/, "$1-$2-$3")}T00:00:00Z`) -
        Date.parse(`${claims.issued_at?.replace(/(\d{4})(\d\d)(\d\d)/, "$1-$2-$3")}T00:00:00Z`)) /
      86_400_000;
    expect(days).toBe(90);

    const [row] = await superuser<Record<string, unknown>>(
      `select tenant_id, org_id, claimed_by_email, tier, stripe_session_id, stripe_payment_intent_id, stripe_customer_id,
              revoked_at is null as active
       from plugin_user_licenses where license_token_jti = $1`,
      [body.jti],
    );
    const object = event.data.object as Record<string, string>;
    expect(row).toEqual({
      tenant_id: tenant.tenant_id,
      org_id: tenant.tenant_id,
      claimed_by_email: email,
      tier: "Pro",
      stripe_session_id: object.id,
      stripe_payment_intent_id: object.payment_intent,
      stripe_customer_id: object.customer,
      active: true,
    });

    const [mail] = await mailTo(email);
    expect(mail?.subject).toBe(LICENSE_EMAIL_SUBJECT);
    expect(mail?.from).toBe("AxonFlow <hello@getaxonflow.com>");
    expect(mail?.text).toContain(`    ${body.token}\n`);
    expect(mail?.text).toContain(`  export AXONFLOW_LICENSE_TOKEN='${body.token}'`);
    expect(mail?.text).toContain("https://try.getaxonflow.com/recover");
    expect(mail?.html).toContain(`<pre><code>${body.token}</code></pre>`);

    const pro = await explainWith(tenant, body.token);
    expect(((await pro.json()) as { tier: string }).tier).toBe("Pro");
  });

  it("answers every delivery of a session with the same bytes, even a day later, and sends the mail again", async () => {
    const tenant = await registerTenant();
    const email = buyer();
    const event = checkoutEvent({ tenantId: tenant.tenant_id, email });
    const first = await (await deliver(event)).text();
    expect(await (await deliver(event)).text()).toBe(first);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 86_400_000 + 3_600_000);
    const dayLater = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) });
    expect(await dayLater.text()).toBe(first);
    vi.useRealTimers();

    const rows = await superuser("select 1 from plugin_user_licenses where tenant_id = $1", [tenant.tenant_id]);
    expect(rows).toHaveLength(1);
    expect(await mailTo(email, 3)).toHaveLength(3);
  });

  it("holds under 50 concurrent deliveries of one session: one row, one token", async () => {
    const tenant = await registerTenant();
    const event = checkoutEvent({ tenantId: tenant.tenant_id, email: buyer() });
    const responses = await Promise.all(Array.from({ length: 50 }, () => deliver(event)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const tokens = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as Issued).token)));
    expect(tokens.size).toBe(1);
    const rows = await superuser("select 1 from plugin_user_licenses where tenant_id = $1", [tenant.tenant_id]);
    expect(rows).toHaveLength(1);
  });

  it("issues concurrent purchases of different tenants without failures", async () => {
    const tenants = await Promise.all(Array.from({ length: 12 }, () => registerTenant()));
    const responses = await Promise.all(
      tenants.map((t) => deliver(checkoutEvent({ tenantId: t.tenant_id, email: buyer() }))),
    );
    const failed = await Promise.all(responses.filter((r) => r.status !== 200).map((r) => r.text()));
    expect(failed).toEqual([]);
  });

  it("serves checkout.session.async_payment_succeeded through the same path", async () => {
    const tenant = await registerTenant();
    const event = checkoutEvent({
      tenantId: tenant.tenant_id,
      email: buyer(),
      type: "checkout.session.async_payment_succeeded",
    });
    const body = (await (await deliver(event)).json()) as Issued;
    expect(body).toMatchObject({ status: "issued", tenant_id: tenant.tenant_id });
    const completed = checkoutEvent({
      tenantId: tenant.tenant_id,
      email: buyer(),
      sessionId: (event.data.object as { id: string }).id,
    });
    expect(((await (await deliver(completed)).json()) as Issued).token).toBe(body.token);
  });

  it("replaces the tenant's previous license on a second purchase, effective on the next request", async () => {
    const tenant = await registerTenant();
    const first = (await (
      await deliver(checkoutEvent({ tenantId: tenant.tenant_id, email: buyer() }))
    ).json()) as Issued;
    expect((await explainWith(tenant, first.token)).status).toBe(200);
    const second = (await (
      await deliver(checkoutEvent({ tenantId: tenant.tenant_id, email: buyer() }))
    ).json()) as Issued;
    expect(second.jti).not.toBe(first.jti);
    await expectErrorA(await explainWith(tenant, first.token), 401, "license_not_found_or_revoked");
    expect((await explainWith(tenant, second.token)).status).toBe(200);
    const [old] = await superuser<{ revocation_reason: string }>(
      "select revocation_reason from plugin_user_licenses where license_token_jti = $1",
      [first.jti],
    );
    expect(old?.revocation_reason).toBe("replaced_by_new_purchase");
  });

  it("skips unpaid sessions and rejects incomplete ones with the reference's messages", async () => {
    const tenant = await registerTenant();
    const unpaid = checkoutEvent({ tenantId: tenant.tenant_id, email: buyer(), paymentStatus: "unpaid" });
    expect(await (await deliver(unpaid)).json()).toEqual({
      status: "skipped",
      reason: "payment_status not 'paid'",
      session: (unpaid.data.object as { id: string }).id,
    });

    const noTenant = checkoutEvent({ tenantId: "  ", email: buyer() });
    const r1 = await deliver(noTenant);
    expect(r1.status).toBe(400);
    expect(await r1.text()).toBe("missing tenant_id (neither metadata nor custom_fields)\n");

    const noEmail = checkoutEvent({ tenantId: tenant.tenant_id, email: "" });
    const r2 = await deliver(noEmail);
    expect(r2.status).toBe(400);
    expect(await r2.text()).toBe("missing customer_email\n");
  });

  it("answers 400 unknown tenant_id (no Stripe retries) and logs paid_but_no_token_issued", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await deliver(checkoutEvent({ tenantId: `cs_${crypto.randomUUID()}`, email: buyer() }));
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("unknown tenant_id\n");
    expect(errors.mock.calls.some(([line]) => String(line).includes('"event":"paid_but_no_token_issued"'))).toBe(true);
    errors.mockRestore();
  });

  it("still issues and answers 200 when the mail sink is down", async () => {
    const tenant = await registerTenant();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await deliver(checkoutEvent({ tenantId: tenant.tenant_id, email: buyer() }), {
      env: { RESEND_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Issued).status).toBe("issued");
    expect(errors.mock.calls.some(([line]) => String(line).includes('"event":"license_email_failed"'))).toBe(true);
    expect(errors.mock.calls.some(([line]) => String(line).includes("AXON-"))).toBe(false);
    errors.mockRestore();
  });

  it("refuses to mint in a verifier-only deployment", async () => {
    const tenant = await registerTenant();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await deliver(checkoutEvent({ tenantId: tenant.tenant_id, email: buyer() }), {
      env: { AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY: "" },
    });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("license issue failed\n");
    errors.mockRestore();
    const rows = await superuser("select 1 from plugin_user_licenses where tenant_id = $1", [tenant.tenant_id]);
    expect(rows).toHaveLength(0);
  });
});
