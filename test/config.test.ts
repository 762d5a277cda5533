import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";

const valid = { AXONFLOW_SECRET_PEPPER: "pepper-pepper-pepper" };

describe("parseConfig", () => {
  it("applies defaults", () => {
    const result = parseConfig(valid);
    expect(result).toMatchObject({
      ok: true,
      config: {
        COMMUNITY_SAAS_REGISTRATION_ENABLED: true,
        AXONFLOW_PUBLIC_ENDPOINT: "https://try.getaxonflow.com",
      },
    });
    expect(result.ok && result.config.AXONFLOW_DB_APP_ROLE_URL).toBeUndefined();
  });

  it("trims secrets and URLs", () => {
    const result = parseConfig({
      AXONFLOW_SECRET_PEPPER: "  pepper-pepper-pepper\n",
      AXONFLOW_DB_APP_ROLE_URL: " postgres://u:p@h/db ",
      AXONFLOW_PUBLIC_ENDPOINT: "http://127.0.0.1:8787/",
    });
    expect(result).toMatchObject({
      ok: true,
      config: {
        AXONFLOW_SECRET_PEPPER: "pepper-pepper-pepper",
        AXONFLOW_DB_APP_ROLE_URL: "postgres://u:p@h/db",
        AXONFLOW_PUBLIC_ENDPOINT: "http://127.0.0.1:8787",
      },
    });
  });

  it.each([
    ["false", false],
    ["FALSE", false],
    ["0", false],
    ["true", true],
    ["1", true],
    ["", true],
  ])("reads the registration switch %j as %s", (value, expected) => {
    const result = parseConfig({ ...valid, COMMUNITY_SAAS_REGISTRATION_ENABLED: value });
    expect(result.ok && result.config.COMMUNITY_SAAS_REGISTRATION_ENABLED).toBe(expected);
  });

  it.each([
    ["AXONFLOW_SECRET_PEPPER", { AXONFLOW_SECRET_PEPPER: "short" }],
    ["AXONFLOW_SECRET_PEPPER", {}],
    ["AXONFLOW_DB_APP_ROLE_URL", { ...valid, AXONFLOW_DB_APP_ROLE_URL: "mysql://x" }],
    ["NEON_WS_PROXY", { ...valid, NEON_WS_PROXY: "ws://127.0.0.1:1/v1" }],
    ["COMMUNITY_SAAS_REGISTRATION_ENABLED", { ...valid, COMMUNITY_SAAS_REGISTRATION_ENABLED: "yes" }],
    ["AXONFLOW_PUBLIC_ENDPOINT", { ...valid, AXONFLOW_PUBLIC_ENDPOINT: "ftp://x" }],
    ["AXONFLOW_HEALTH_COMPATIBILITY", { ...valid, AXONFLOW_HEALTH_COMPATIBILITY: '{"sdk_compatibility":{"x":{}}}' }],
    ["AXONFLOW_HEALTH_COMPATIBILITY", { ...valid, AXONFLOW_HEALTH_COMPATIBILITY: "{not json" }],
  ])("names %s when it is malformed, without echoing the value", (variable, env) => {
    const result = parseConfig(env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.variable)).toContain(variable);
    for (const value of Object.values(env)) {
      if (value.length > 4) expect(JSON.stringify(result.problems)).not.toContain(value);
    }
  });
});
