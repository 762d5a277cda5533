/** The webhook's guard chain, in order (platform.md §3.1). */
import { describe, expect, it } from "vitest";
import { checkoutEvent } from "../../../scripts/stripe-events.mjs";
import { STRIPE_TEST_SECRET } from "../../support/constants";
import { withFrozenClock } from "../../support/http";
import { callBillingWithEnv, deliver, signature, WEBHOOK } from "../../support/stripe";

const ignorable = () => JSON.stringify({ id: "evt_x", type: "customer.created", data: { object: { id: "cus_x" } } });
const now = () => Math.floor(Date.now() / 1000);

async function expectText(response: Response, status: number, text: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
  expect(await response.text()).toBe(`${text}\n`);
}

describe("stripe webhook guards", () => {
  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with 405 plain text", async (method) => {
    await expectText(await callBillingWithEnv({}, WEBHOOK, { method }), 405, "method not allowed");
  });

  it("is all the billing Worker serves, besides /health", async () => {
    expect((await callBillingWithEnv({}, "/health")).status).toBe(200);
    for (const [method, path] of [
      ["POST", "/api/v1/register"],
      ["POST", "/api/v1/mcp-server"],
      ["POST", "/api/v1/recover"],
      ["GET", "/openapi.json"],
      ["POST", "/api/v1/billing/other"],
    ]) {
      expect((await callBillingWithEnv({}, path as string, { method })).status, `${method} ${path}`).toBe(404);
    }
  });

  it("is absent when no signing secret is configured", async () => {
    const response = await callBillingWithEnv({ STRIPE_WEBHOOK_SIGNING_SECRET: "" }, WEBHOOK, {
      method: "POST",
      body: "{}",
    });
    expect(response.status).toBe(404);
  });

  it("allows only Stripe's addresses by default, IPv4 and IPv6 CIDRs when configured, everything with *", async () => {
    const defaults = { AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: undefined };
    await expectText(await deliver(ignorable(), { ip: "127.0.0.1", env: defaults }), 403, "source IP not allowed");
    expect((await deliver(ignorable(), { ip: "54.187.216.72", env: defaults })).status).toBe(200);
    const v6 = { AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: "10.0.0.0/8, 2600:1f18::/32" };
    expect((await deliver(ignorable(), { ip: "2600:1f18:abcd::1", env: v6 })).status).toBe(200);
    expect((await deliver(ignorable(), { ip: "10.200.3.4", env: v6 })).status).toBe(200);
    expect((await deliver(ignorable(), { ip: "::ffff:10.200.3.4", env: v6 })).status).toBe(200);
    await expectText(await deliver(ignorable(), { ip: "2600:1f19::1", env: v6 }), 403, "source IP not allowed");
    for (const open of ["*", "0.0.0.0/0", "::/0"]) {
      expect(
        (await deliver(ignorable(), { ip: "198.51.100.7", env: { AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: open } }))
          .status,
      ).toBe(200);
    }
  });

  it("never trusts X-Forwarded-For for the source address", async () => {
    const payload = ignorable();
    const response = await callBillingWithEnv({ AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: undefined }, WEBHOOK, {
      method: "POST",
      headers: {
        "CF-Connecting-IP": "127.0.0.9",
        "X-Forwarded-For": "3.18.12.63",
        "X-Real-IP": "3.18.12.63",
        "Stripe-Signature": await signature(payload),
      },
      body: payload,
    });
    await expectText(response, 403, "source IP not allowed");
  });

  it("limits each source IP per minute (0 disables)", async () => {
    const env = { AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN: "3" };
    for (let i = 0; i < 3; i++) expect((await deliver(ignorable(), { ip: "127.88.0.1", env })).status).toBe(200);
    await expectText(await deliver(ignorable(), { ip: "127.88.0.1", env }), 429, "rate limit exceeded");
    expect((await deliver(ignorable(), { ip: "127.88.0.2", env })).status).toBe(200);
    const off = { AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN: "0" };
    for (let i = 0; i < 5; i++) expect((await deliver(ignorable(), { ip: "127.88.0.3", env: off })).status).toBe(200);
  });

  it("rejects bodies over 64 KiB before looking at the signature", async () => {
    await expectText(await deliver("x".repeat(65_537), { signature: "garbage" }), 413, "request too large");
  });

  it("checks the signature: secret, header shape, 300 s both ways, any v1, v0 ignored", async () => {
    // A frozen clock makes the ±300 s boundary exact.
    await withFrozenClock(checkSignatures);
  });

  async function checkSignatures() {
    const payload = ignorable();
    const right = await signature(payload);
    const v1 = right.split(",").find((p) => p.startsWith("v1=")) as string;
    const t = now();
    const fresh = await signature(payload, STRIPE_TEST_SECRET, t);
    const freshV1 = fresh.split(",")[1] as string;
    for (const header of [
      "",
      "garbage",
      await signature(payload, "whsec_other"),
      await signature(payload, STRIPE_TEST_SECRET, t - 301),
      await signature(payload, STRIPE_TEST_SECRET, t + 301),
      `t=${t},v0=${freshV1.slice(3)}`,
      `t=abc,${v1}`,
      `t=0,${v1}`,
      `${v1}`,
    ]) {
      await expectText(await deliver(payload, { signature: header }), 401, "signature invalid");
    }
    expect((await deliver(payload, { timestamp: t - 300 })).status).toBe(200);
    expect((await deliver(payload, { timestamp: t + 300 })).status).toBe(200);
    expect((await deliver(payload, { signature: `t=${t},v1=${"0".repeat(64)},${freshV1},v0=abc` })).status).toBe(200);
    await expectText(await deliver(`${payload} `, { signature: fresh }), 401, "signature invalid");
  }

  it("answers 400 for a signed body that is not an event", async () => {
    await expectText(await deliver("not json"), 400, "bad request");
    await expectText(await deliver('{"id":"evt_1"}'), 400, "bad request");
  });

  it("ignores event types it does not handle", async () => {
    const response = await deliver(ignorable());
    expect(await response.json()).toEqual({
      status: "ignored",
      reason: "event type not handled",
      type: "customer.created",
      id: "evt_x",
    });
  });

  it("rejects unparsable objects of handled events with their own messages", async () => {
    const broken = checkoutEvent({ tenantId: "cs_x", email: "a@b.co" });
    (broken.data.object as Record<string, unknown>).id = 42;
    await expectText(await deliver(broken), 400, "bad checkout session payload");
    const refund = { id: "evt_r", type: "charge.refunded", data: { object: { id: "ch_1", amount: "lots" } } };
    await expectText(await deliver(JSON.stringify(refund)), 400, "bad charge.refunded payload");
  });
});
