/**
 * Capabilities advertised by /health (platform.md §9.1). Each entry names a behaviour this
 * deployment serves, so clients never see a capability that is not there.
 */
import type { Capability } from "./routes";

const ALWAYS: readonly Capability[] = [
  {
    name: "plugin_claim_license",
    since: "7.7.0",
    description: "Plugin Pro license tokens (X-License-Token) verified on every governed request",
  },
  {
    name: "mcp_check_endpoints",
    since: "4.7.0",
    description: "MCP server (POST /api/v1/mcp-server) and REST check-input/check-output for pre- and post-tool checks",
  },
  {
    name: "v1_pro_upgrade_envelope",
    since: "7.8.0",
    description: "429/403 limit responses carry the V1 upgrade envelope (limit_type, resets_at, upgrade)",
  },
];

const RECOVERY: Capability = {
  name: "community_saas_recovery",
  since: "7.7.0",
  description: "Credential recovery by single-use email link (POST /api/v1/recover)",
};

/** What this deployment serves: recovery only while registration (and with it recovery) is on. */
export function capabilities(options: { recovery: boolean }): readonly Capability[] {
  return options.recovery ? [RECOVERY, ...ALWAYS] : ALWAYS;
}
