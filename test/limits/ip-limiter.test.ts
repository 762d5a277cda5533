import { describe, expect, it } from "vitest";
import { REGISTER_MESSAGES } from "../../src/features/register/schema";
import {
  consumeIpBudget,
  DELETE_REQUEST_BUDGET,
  REGISTER_RECOVER_BUDGET,
  stripeWebhookBudget,
} from "../../src/limits/ip-limiter";
import { call, callWithEnv, expectErrorA } from "../support/http";
import { testEnv } from "../support/tenant";

const register = (ip: string) =>
  call("/api/v1/register", { method: "POST", ip, headers: { "Content-Type": "application/json" }, body: "{}" });

describe("per-IP limiter", () => {
  it("allows 5 registrations per IP per hour, then answers 429 with Retry-After", async () => {
    const ip = "127.40.0.1";
    for (let i = 0; i < 5; i++) expect((await register(ip)).status).toBe(201);
    const limited = await register(ip);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(3500);
    await expectErrorA(limited, 429, REGISTER_MESSAGES.rateLimited);
  });

  it("keeps budgets independent per IP", async () => {
    for (let i = 0; i < 5; i++) await register("127.40.0.2");
    expect((await register("127.40.0.2")).status).toBe(429);
    expect((await register("127.40.0.3")).status).toBe(201);
  });

  it("shares one budget between registration and recovery", async () => {
    const ip = "127.40.0.4";
    for (let i = 0; i < 3; i++)
      expect((await consumeIpBudget(testEnv, REGISTER_RECOVER_BUDGET, ip)).allowed).toBe(true);
    expect((await register(ip)).status).toBe(201);
    expect((await register(ip)).status).toBe(201);
    expect((await register(ip)).status).toBe(429);
    expect((await consumeIpBudget(testEnv, REGISTER_RECOVER_BUDGET, ip)).allowed).toBe(false);
  });

  it("slides the window: a hit leaves the budget exactly one window later", async () => {
    const ip = "127.40.0.5";
    // Now, not a fixed past date: the cleanup alarm (t0 + window) must not fire during the test.
    const t0 = Date.now();
    expect((await consumeIpBudget(testEnv, DELETE_REQUEST_BUDGET, ip, t0)).allowed).toBe(true);
    expect(await consumeIpBudget(testEnv, DELETE_REQUEST_BUDGET, ip, t0 + 59_000)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect((await consumeIpBudget(testEnv, DELETE_REQUEST_BUDGET, ip, t0 + 60_000)).allowed).toBe(true);
  });

  it("is exact under concurrency", async () => {
    const budget = stripeWebhookBudget(60);
    const verdicts = await Promise.all(
      Array.from({ length: 80 }, () => consumeIpBudget(testEnv, budget, "127.40.0.6")),
    );
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(60);
  });

  it("treats a limit of 0 as disabled and fails closed when the limiter is unreachable", async () => {
    expect((await consumeIpBudget(testEnv, stripeWebhookBudget(0), "127.40.0.7")).allowed).toBe(true);
    const broken = {
      idFromName: () => ({}) as DurableObjectId,
      get: () => {
        throw new Error("limiter down");
      },
    } as unknown as typeof testEnv.IP_LIMITER;
    expect(
      (await consumeIpBudget({ ...testEnv, IP_LIMITER: broken }, REGISTER_RECOVER_BUDGET, "127.40.0.8")).allowed,
    ).toBe(false);
    const response = await callWithEnv({ IP_LIMITER: broken }, "/api/v1/register", {
      method: "POST",
      headers: { "CF-Connecting-IP": "127.40.0.8" },
    });
    expect(response.status).toBe(429);
  });
});
