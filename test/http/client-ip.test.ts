/** Only CF-Connecting-IP names the client (local-dev.md "Client IP"); forwarding headers are the client's own words. */
import { describe, expect, it } from "vitest";
import { REGISTER_RECOVER_BUDGET } from "../../src/limits/ip-limiter";
import { call, randomLoopback } from "../support/http";

const register = (ip: string, forwarded: Record<string, string>) =>
  call("/api/v1/register", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...forwarded },
    body: "{}",
    ip,
  });

describe("client IP", () => {
  it("keys per-IP budgets by CF-Connecting-IP whatever X-Forwarded-For and X-Real-IP say", async () => {
    const ip = randomLoopback();
    const statuses: number[] = [];
    for (let i = 0; i <= REGISTER_RECOVER_BUDGET.limit; i++) {
      const spoofed = randomLoopback();
      statuses.push((await register(ip, { "X-Forwarded-For": spoofed, "X-Real-IP": spoofed })).status);
    }
    expect(statuses).toEqual([...Array(REGISTER_RECOVER_BUDGET.limit).fill(201), 429]);
    // Another edge-given address still has its own budget.
    expect((await register(randomLoopback(), { "X-Forwarded-For": ip })).status).toBe(201);
  });

  it("counts requests without CF-Connecting-IP under one shared 'unknown' client", async () => {
    const statuses: number[] = [];
    const headers = (spoofed: string) => ({ "Content-Type": "application/json", "X-Forwarded-For": spoofed });
    // Without the header no address is trusted: spoofed forwarding headers never open fresh budgets.
    for (let i = 0; i <= REGISTER_RECOVER_BUDGET.limit; i++) {
      const response = await call("/api/v1/register", {
        method: "POST",
        headers: { ...headers(randomLoopback()), "CF-Connecting-IP": "" },
        body: "{}",
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(REGISTER_RECOVER_BUDGET.limit);
    expect(statuses.at(-1)).toBe(429);
  });
});
