import { describe, expect, it } from "vitest";
import {
  AUDIENCES,
  hasScope,
  isAcceptedOnSaasPluginPath,
  type LicenseScope,
  SAAS_PLUGIN_ACCEPTED_AUDIENCES,
  scopeFromClientHeader,
} from "../../src/license/matrix";

describe("the audience set", () => {
  it("is the six quadrants plus the legacy SaaS-plugin alias", () => {
    expect(Object.keys(AUDIENCES).sort()).toEqual([
      "axonflow.saas.full",
      "axonflow.saas.plugin",
      "axonflow.saas.sdk",
      "axonflow.self_hosted.full",
      "axonflow.self_hosted.plugin",
      "axonflow.self_hosted.sdk",
      "community_saas_plugin",
    ]);
    expect(AUDIENCES.community_saas_plugin).toEqual({ hosting: "saas", scope: "plugin" });
  });

  it("accepts exactly saas.plugin, saas.full and community_saas_plugin on the SaaS plugin path", () => {
    expect([...SAAS_PLUGIN_ACCEPTED_AUDIENCES]).toEqual([
      "axonflow.saas.plugin",
      "axonflow.saas.full",
      "community_saas_plugin",
    ]);
    const accepted = Object.keys(AUDIENCES).filter(isAcceptedOnSaasPluginPath);
    expect(accepted.sort()).toEqual(["axonflow.saas.full", "axonflow.saas.plugin", "community_saas_plugin"]);
    for (const aud of ["", "axonflow.saas", "AXONFLOW.SAAS.PLUGIN", "axonflow.saas.plugin ", "constructor"]) {
      expect(isAcceptedOnSaasPluginPath(aud), aud).toBe(false);
    }
  });
});

describe("hasScope (seeds/license-matrix.txt table)", () => {
  const table: [aud: string, plugin: boolean, sdk: boolean, full: boolean][] = [
    ["axonflow.saas.plugin", true, false, false],
    ["axonflow.saas.sdk", false, true, false],
    ["axonflow.saas.full", true, true, true],
    ["axonflow.self_hosted.plugin", true, false, false],
    ["axonflow.self_hosted.sdk", false, true, false],
    ["axonflow.self_hosted.full", true, true, true],
    ["community_saas_plugin", true, false, false],
    ["", true, true, true],
    ["axonflow.saas.http", false, false, false],
    ["toString", false, false, false],
  ];
  it.each(table)("%s → plugin %s, sdk %s, full %s", (aud, plugin, sdk, full) => {
    expect(hasScope(aud, "plugin")).toBe(plugin);
    expect(hasScope(aud, "sdk")).toBe(sdk);
    expect(hasScope(aud, "full")).toBe(full);
  });
});

describe("scopeFromClientHeader (platform.md §2.4)", () => {
  const table: [header: string | null | undefined, scope: LicenseScope][] = [
    [undefined, "full"],
    [null, "full"],
    ["", "full"],
    ["openclaw/2.1.0", "plugin"],
    ["openclaw", "plugin"],
    ["claude-code-plugin/1.13.0", "plugin"],
    ["cursor-plugin/1.7.0", "plugin"],
    ["codex-plugin/1.7.0", "plugin"],
    ["claude-desktop-plugin/0.1.0", "plugin"],
    ["sdk-typescript/7.7.0", "sdk"],
    ["sdk-python/6.0.0", "sdk"],
    ["sdk-", "sdk"],
    ["mcp-proxy/0.3.1", "full"],
    ["other/1.0", "full"],
    ["sdk/1.0", "full"],
    ["openclaw-next/1.0", "full"],
    ["plugin/1.0", "full"],
    ["claude-code/1.13.0-plugin", "full"],
    ["OpenClaw/2.1.0", "full"],
  ];
  it.each(table)("%j → %s", (header, scope) => {
    expect(scopeFromClientHeader(header)).toBe(scope);
  });
});
