/** Version floors (decisions.md: the newest values of platform.md §9.1), overridable by config. */
import type { Config } from "../../config";

export const DEFAULT_COMPATIBILITY = {
  sdk_compatibility: {
    min_sdk_version: { python: "8.0.0", typescript: "8.0.0", go: "8.0.0", java: "8.0.0", rust: "0.7.0" },
    recommended_sdk_version: { python: "9.0.0", typescript: "9.0.0", go: "9.0.0", java: "9.0.0", rust: "0.8.1" },
  },
  plugin_compatibility: {
    min_plugin_version: {
      openclaw: "2.4.0",
      "claude-code": "1.4.0",
      cursor: "1.4.0",
      codex: "1.4.0",
      "claude-desktop": "0.2.0",
    },
    recommended_plugin_version: {
      openclaw: "2.8.0",
      "claude-code": "1.11.0",
      cursor: "1.7.0",
      codex: "1.7.0",
      "claude-desktop": "0.3.1",
    },
  },
};

/** Defaults with the operator's `AXONFLOW_HEALTH_COMPATIBILITY` entries laid over them, key by key. */
export function compatibility(override: Config["AXONFLOW_HEALTH_COMPATIBILITY"]) {
  const sdk = DEFAULT_COMPATIBILITY.sdk_compatibility;
  const plugin = DEFAULT_COMPATIBILITY.plugin_compatibility;
  return {
    sdk_compatibility: {
      min_sdk_version: { ...sdk.min_sdk_version, ...override.sdk_compatibility?.min_sdk_version },
      recommended_sdk_version: {
        ...sdk.recommended_sdk_version,
        ...override.sdk_compatibility?.recommended_sdk_version,
      },
    },
    plugin_compatibility: {
      min_plugin_version: { ...plugin.min_plugin_version, ...override.plugin_compatibility?.min_plugin_version },
      recommended_plugin_version: {
        ...plugin.recommended_plugin_version,
        ...override.plugin_compatibility?.recommended_plugin_version,
      },
    },
  };
}
