/**
 * The License Matrix (platform.md §2.3–2.4, seeds/license-matrix.txt): every token's `aud` names
 * one quadrant — hosting mode × customer scope — and each validation path accepts a closed list.
 */

/** What a token or a request is for: a plugin, an SDK, or everything. */
export type LicenseScope = "plugin" | "sdk" | "full";
export type HostingMode = "saas" | "self_hosted";

/** The closed set of `aud` values: six quadrants plus the reference's legacy SaaS-plugin alias. */
export const AUDIENCES = {
  "axonflow.saas.plugin": { hosting: "saas", scope: "plugin" },
  "axonflow.saas.sdk": { hosting: "saas", scope: "sdk" },
  "axonflow.saas.full": { hosting: "saas", scope: "full" },
  "axonflow.self_hosted.plugin": { hosting: "self_hosted", scope: "plugin" },
  "axonflow.self_hosted.sdk": { hosting: "self_hosted", scope: "sdk" },
  "axonflow.self_hosted.full": { hosting: "self_hosted", scope: "full" },
  community_saas_plugin: { hosting: "saas", scope: "plugin" },
} as const satisfies Record<string, { hosting: HostingMode; scope: LicenseScope }>;

export type Audience = keyof typeof AUDIENCES;

/** `SaaSPluginPathAcceptList`: the audiences this control plane accepts; any other is cross-quadrant. */
export const SAAS_PLUGIN_ACCEPTED_AUDIENCES = [
  "axonflow.saas.plugin",
  "axonflow.saas.full",
  "community_saas_plugin",
] as const satisfies readonly Audience[];

export type SaasPluginAudience = (typeof SAAS_PLUGIN_ACCEPTED_AUDIENCES)[number];

/** Whether a token with this `aud` may be used on the SaaS plugin path at all. */
export function isAcceptedOnSaasPluginPath(aud: string): aud is SaasPluginAudience {
  return (SAAS_PLUGIN_ACCEPTED_AUDIENCES as readonly string[]).includes(aud);
}

const isAudience = (aud: string): aud is Audience => Object.hasOwn(AUDIENCES, aud);

/**
 * `HasScope`: whether a token with `aud` grants `scope`. An empty `aud` (pre-matrix tokens) is
 * full scope; a `*.full` audience grants every scope; otherwise the scopes must be equal. An
 * unknown `aud` grants nothing.
 */
export function hasScope(aud: string, scope: LicenseScope): boolean {
  if (aud === "") return true;
  if (!isAudience(aud)) return false;
  const granted = AUDIENCES[aud].scope;
  return granted === "full" || granted === scope;
}

/**
 * `DeriveScopeFromClientHeader`: the scope a request asks for, from `X-Axonflow-Client`
 * (`<client-id>/<version>`). No header means `full`, for clients that predate it. The header is
 * honest-client scope enforcement, not a security boundary; the `aud` accept list is.
 */
export function scopeFromClientHeader(header: string | null | undefined): LicenseScope {
  if (!header) return "full";
  const clientId = header.split("/", 1)[0] ?? "";
  if (clientId === "openclaw" || clientId.endsWith("-plugin")) return "plugin";
  if (clientId.startsWith("sdk-")) return "sdk";
  return "full";
}
