import { describe, expect, it } from "vitest";
import { call, expectErrorA } from "../support/http";

describe("HTTP basics", () => {
  it("answers an unknown route with 404 JSON", async () => {
    await expectErrorA(await call("/api/v1/nope"), 404, "Not found");
    await expectErrorA(await call("/"), 404, "Not found");
  });

  it("answers OPTIONS with 204 and CORS headers, without auth", async () => {
    const response = await call("/api/v1/governance/explain", {
      method: "OPTIONS",
      headers: { Origin: "https://example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(response.headers.get("Access-Control-Allow-Headers")).toContain("X-License-Token");
  });

  it("gives every response a request id", async () => {
    const first = await call("/health");
    const second = await call("/api/v1/nope");
    const ids = [first.headers.get("X-Request-Id"), second.headers.get("X-Request-Id")];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("rejects bodies above the global cap with 413 JSON before any route runs", async () => {
    const response = await call("/api/v1/governance/explain", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "x".repeat(1024 * 1024 + 1),
    });
    await expectErrorA(response, 413, "Request body too large");
  });

  it("answers wrong methods on authenticated routes with 405 before auth", async () => {
    const response = await call("/api/v1/governance/explain");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    await expectErrorA(response, 405, "Method not allowed");
  });
});
