/**
 * Capabilities advertised by /health (platform.md §9.1). Each entry names a behaviour this
 * deployment serves; features that ship later (recovery, MCP check endpoints, …) add theirs here
 * when they land, so clients never see a capability that is not there.
 */
import type { Capability } from "./routes";

export const CAPABILITIES: readonly Capability[] = [
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
