/**
 * Configuration: the Worker's string bindings parsed with zod, once per isolate. Secrets are
 * trimmed; a malformed value yields an error that names the variable (never its value), and the
 * Worker then refuses to serve (see fetchHandler in src/app.ts).
 */
import { z } from "zod";
import type { Env, EnvVars } from "./env";
import { parseIpAllowlist } from "./http/ip-allowlist";
import { createKeyring, KeyConfigError, type Keyring } from "./license/keys";

const trimmed = z.string().transform((value) => value.trim());
const optionalText = z
  .string()
  .optional()
  .transform((value) => {
    const text = value?.trim();
    return text ? text : undefined;
  });

const flag = (fallback: boolean) =>
  optionalText.transform((value, ctx) => {
    const normalized = value?.toLowerCase();
    if (normalized === undefined) return fallback;
    if (normalized === "true" || normalized === "1") return true;
    if (normalized === "false" || normalized === "0") return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
  });

const count = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  optionalText.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
    return z.NEVER;
  });

const postgresUrl = optionalText.pipe(
  z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s]+$/, { error: "must be a postgres:// connection string" })
    .optional(),
);

/** A public origin for links in mail: default https://try.getaxonflow.com, trailing "/" trimmed. */
const baseUrl = optionalText.pipe(
  z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .optional()
    .transform((value) => (value ?? "https://try.getaxonflow.com").replace(/\/+$/, "")),
);

const versionMap = z.record(z.string(), z.string());
const compatibilityOverride = z
  .object({
    sdk_compatibility: z
      .object({ min_sdk_version: versionMap.optional(), recommended_sdk_version: versionMap.optional() })
      .strict()
      .optional(),
    plugin_compatibility: z
      .object({ min_plugin_version: versionMap.optional(), recommended_plugin_version: versionMap.optional() })
      .strict()
      .optional(),
  })
  .strict();

const schema = z.object({
  AXONFLOW_DB_APP_ROLE_URL: postgresUrl,
  AXONFLOW_DB_PLATFORM_ADMIN_URL: postgresUrl,
  NEON_WS_PROXY: optionalText.pipe(
    z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/, { error: "must be host:port" })
      .optional(),
  ),
  AXONFLOW_SECRET_PEPPER: trimmed.pipe(z.string().min(16, { error: "must be set (at least 16 characters)" })),
  COMMUNITY_SAAS_REGISTRATION_ENABLED: flag(true),
  /** The hourly inactive-tenant sweep (platform.md §5.2) runs only when true. */
  COMMUNITY_SAAS_SWEEP_ENABLED: flag(false),
  /** The sweep only counts and logs the tenants it would terminate. */
  COMMUNITY_SAAS_SWEEP_DRYRUN: flag(false),
  COMMUNITY_SAAS_MINUTE_LIMIT: count(200, 1),
  COMMUNITY_SAAS_MINUTE_LIMIT_FREE: count(25, 1),
  COMMUNITY_SAAS_MINUTE_LIMIT_PRO: count(200, 1),
  /** Daily limit reported when the tier cannot be resolved (the gate is unreachable; fail closed). */
  COMMUNITY_SAAS_DAILY_LIMIT: count(500, 1),
  AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN: count(60, 0),
  /** Request-phase action of the SQL-injection policies (README "Policy posture"). */
  SQLI_ACTION: optionalText.pipe(
    z.enum(["block", "warn", "log"], { error: "must be block, warn or log" }).default("block"),
  ),
  /** How long the tenant gate batches activity before writing it to Postgres (≤ 60 s). */
  AXONFLOW_USAGE_FLUSH_SECONDS: count(30, 1, 60),
  /** Bound on each Postgres connect and statement of a request (ms). */
  AXONFLOW_DB_TIMEOUT_MS: count(5_000, 100, 60_000),
  /** Adds `X-Axonflow-Request-Cost: do=<n>; db=<n>` to responses (tests and benchmarks). */
  AXONFLOW_EXPOSE_REQUEST_COST: flag(false),
  AXONFLOW_PUBLIC_ENDPOINT: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .optional()
      .transform((value) => (value ?? "https://try.getaxonflow.com").replace(/\/+$/, "")),
  ),
  AXONFLOW_PLATFORM_VERSION: optionalText.transform((value) => value ?? "11.0.0"),
  /** Base URL of a full AxonFlow orchestrator for the routes that need an LLM (`/api/request`); unset → 503. */
  AXONFLOW_ORCHESTRATOR_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .optional()
      .transform((value) => value?.replace(/\/+$/, "")),
  ),
  AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY: optionalText,
  AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY: optionalText,
  /** `deployment_id` / `org_id` of minted license tokens (V3 payload). */
  AXONFLOW_DEPLOYMENT_ID: optionalText.transform((value) => value ?? "axonflow-community-saas"),
  STRIPE_WEBHOOK_SIGNING_SECRET: optionalText,
  AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: optionalText.transform((value, ctx) => {
    const parsed = parseIpAllowlist(value);
    if (parsed.ok) return parsed.allowlist;
    ctx.addIssue({ code: "custom", message: `invalid entry ${JSON.stringify(parsed.entry)}` });
    return z.NEVER;
  }),
  AXONFLOW_BILLING_PRO_VALIDITY_DAYS: count(90, 0, 36_500),
  AXONFLOW_BILLING_FROM_EMAIL: optionalText.transform((value) => value ?? "AxonFlow <hello@getaxonflow.com>"),
  RESEND_API_KEY: optionalText,
  RESEND_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional()),
  AXONFLOW_RECOVERY_BASE_URL: baseUrl,
  /** Defaults are applied below: the erasure sender falls back to this one only when it is set. */
  AXONFLOW_RECOVERY_FROM_EMAIL: optionalText,
  AXONFLOW_DELETE_BASE_URL: baseUrl,
  AXONFLOW_DELETE_FROM_EMAIL: optionalText,
  /** The reference's fallback pepper keeps tokens verifiable when none is configured (§7.1). */
  AXONFLOW_TENANT_DELETE_TOKEN_PEPPER: optionalText.transform(
    (value) => value ?? "axonflow-tenant-delete-default-pepper-v1",
  ),
  STRIPE_SECRET_KEY: optionalText,
  STRIPE_API_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional()),
  AXONFLOW_HEALTH_COMPATIBILITY: optionalText.transform((value, ctx) => {
    if (value === undefined) return {};
    try {
      const parsed = compatibilityOverride.safeParse(JSON.parse(value));
      if (parsed.success) return parsed.data;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: "must be a JSON object of version-string maps" });
    return z.NEVER;
  }),
});

/**
 * The license keyring is built from the two key variables: verifier-only with just the public key,
 * able to mint with the seed. Without either, tokens cannot be checked (requests carrying one get
 * 503) and nothing can be minted.
 */
const configSchema = schema.transform((vars, ctx) => {
  let keyring: Keyring | undefined;
  if (vars.AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY || vars.AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY) {
    try {
      keyring = createKeyring({
        signingKey: vars.AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY,
        publicKey: vars.AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY,
      });
    } catch (error) {
      if (!(error instanceof KeyConfigError)) throw error;
      ctx.addIssue({ code: "custom", path: [error.variable], message: "is not a base64 Ed25519 key of 32 bytes" });
      return z.NEVER;
    }
  }
  return {
    ...vars,
    keyring,
    AXONFLOW_RECOVERY_FROM_EMAIL: vars.AXONFLOW_RECOVERY_FROM_EMAIL ?? "AxonFlow <recovery@getaxonflow.com>",
    // platform.md §7.1: the delete sender, else the recovery sender as configured, else compliance@.
    AXONFLOW_DELETE_FROM_EMAIL:
      vars.AXONFLOW_DELETE_FROM_EMAIL ?? vars.AXONFLOW_RECOVERY_FROM_EMAIL ?? "AxonFlow <compliance@getaxonflow.com>",
  };
});

export type Config = z.output<typeof configSchema>;

export interface ConfigProblem {
  variable: string;
  problem: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** Parses the environment. Pure: the same env always gives the same result. */
export function parseConfig(env: EnvVars): ConfigResult {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? "environment"),
      problem: issue.message,
    })),
  };
}

const cache = new WeakMap<Env, ConfigResult>();

/** parseConfig memoised per env object (workerd hands the same object to every request of an isolate). */
export function loadConfig(env: Env): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
  }
  return result;
}
