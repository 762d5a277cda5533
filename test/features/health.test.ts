import { describe, expect, it } from "vitest";
import { DEFAULT_COMPATIBILITY } from "../../src/features/health/compatibility";
import { call, callWithEnv, expectErrorA } from "../support/http";

describe("GET /health", () => {
  it("answers the full shape without credentials", async () => {
    const response = await call("/health", { headers: { "X-Axonflow-Client": "claude-code-plugin/1.13.0" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      "status",
      "service",
      "tier",
      "timestamp",
      "version",
      "capabilities",
      "sdk_compatibility",
      "plugin_compatibility",
    ]);
    expect(body.status).toBe("healthy");
    expect(body.service).toBe("axonflow-agent");
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(body.timestamp as string) - Date.now())).toBeLessThan(5000);
    expect(typeof body.version).toBe("string");
    expect(body.capabilities).toEqual([
      expect.objectContaining({ name: "community_saas_recovery", since: "7.7.0" }),
      expect.objectContaining({ name: "plugin_claim_license", since: "7.7.0" }),
      expect.objectContaining({ name: "mcp_check_endpoints", since: "4.7.0" }),
      expect.objectContaining({ name: "v1_pro_upgrade_envelope", since: "7.8.0" }),
    ]);
    expect(body.sdk_compatibility).toEqual({
      min_sdk_version: { python: "8.0.0", typescript: "8.0.0", go: "8.0.0", java: "8.0.0", rust: "0.7.0" },
      recommended_sdk_version: { python: "9.0.0", typescript: "9.0.0", go: "9.0.0", java: "9.0.0", rust: "0.8.1" },
    });
    expect(body.plugin_compatibility).toEqual(DEFAULT_COMPATIBILITY.plugin_compatibility);
    expect(response.headers.get("X-Axonflow-Upgrade-Hint")).toBeNull();
  });

  it("answers HEAD without a body", async () => {
    const response = await call("/health", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("answers other methods with 405 and Allow", async () => {
    const response = await call("/health", { method: "POST" });
    expect(response.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
    await expectErrorA(response, 405, "Method not allowed");
  });

  it("lets operators override single version floors", async () => {
    const override = JSON.stringify({ plugin_compatibility: { min_plugin_version: { cursor: "1.6.0" } } });
    const response = await callWithEnv({ AXONFLOW_HEALTH_COMPATIBILITY: override }, "/health");
    const body = (await response.json()) as typeof DEFAULT_COMPATIBILITY;
    expect(body.plugin_compatibility.min_plugin_version).toEqual({
      ...DEFAULT_COMPATIBILITY.plugin_compatibility.min_plugin_version,
      cursor: "1.6.0",
    });
    expect(body.sdk_compatibility).toEqual(DEFAULT_COMPATIBILITY.sdk_compatibility);
  });
});
