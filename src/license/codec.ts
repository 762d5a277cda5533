/**
 * License token wire format (platform.md §2.1):
 * `AXON-<base64url-nopad(payload JSON)>.<base64url-nopad(Ed25519 signature)>`, the signature
 * being over the base64url payload text. Minted payloads are V3 (decisions.md): `deployment_id`
 * and `org_id` both carry the deployment id.
 */
import { decodeBase64, encodeBase64, RAW_URL } from "./base64";
import type { Keyring } from "./keys";
import { AUDIENCES, type Audience } from "./matrix";

export const TOKEN_PREFIX = "AXON-";
/** `kid` of every minted token: the signing-key generation. */
export const SIGNING_KEY_ID = "v3-2026-05-04";
/** `AXONFLOW_DEPLOYMENT_ID` when unset. */
export const DEFAULT_DEPLOYMENT_ID = "axonflow-community-saas";
/** Tiers a SaaS plugin license can carry. */
export const LICENSE_TIERS = ["Pro", "Premium"] as const;
export type LicenseTier = (typeof LICENSE_TIERS)[number];

/** Whether `tier` is a SaaS plugin tier (`Pro` or `Premium`). */
export function isLicenseTier(tier: string | undefined): tier is LicenseTier {
  return (LICENSE_TIERS as readonly (string | undefined)[]).includes(tier);
}

/** The payload fields this layer reads; others (enterprise/service-license fields) are ignored. */
export interface LicenseClaims {
  tier?: string;
  deployment_id?: string;
  org_id?: string;
  /** `YYYYMMDD`, UTC. */
  issued_at?: string;
  /** `YYYYMMDD`, UTC; the license is honoured until the end of the grace period after it. */
  expires_at?: string;
  email?: string;
  tenant_id?: string;
  aud?: string;
  jti?: string;
  kid?: string;
}

/** The claims {@link decodeLicenseToken} keeps from a payload. */
const CLAIM_KEYS = [
  "tier",
  "deployment_id",
  "org_id",
  "issued_at",
  "expires_at",
  "email",
  "tenant_id",
  "aud",
  "jti",
  "kid",
] as const satisfies readonly (keyof LicenseClaims)[];

/** A token split into what was signed, the signature and the claims; nothing is verified yet. */
export interface DecodedLicenseToken {
  /** The base64url payload text: exactly the bytes the signature covers. */
  signedText: string;
  signature: Uint8Array;
  claims: LicenseClaims;
}

export type DecodeResult = { ok: true; token: DecodedLicenseToken } | { ok: false; reason: string };

const MALFORMED: DecodeResult = { ok: false, reason: "malformed token" };
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Splits and decodes a token without checking its signature. `reason` is the underlying error
 * text of platform.md §2.6: `token must start with AXON-` or `malformed token`.
 */
export function decodeLicenseToken(token: string): DecodeResult {
  if (!token.startsWith(TOKEN_PREFIX)) return { ok: false, reason: `token must start with ${TOKEN_PREFIX}` };
  const body = token.slice(TOKEN_PREFIX.length);
  const dot = body.lastIndexOf(".");
  if (dot < 0) return MALFORMED;
  const signedText = body.slice(0, dot);
  const payload = decodeBase64(signedText, RAW_URL);
  const signature = decodeBase64(body.slice(dot + 1), RAW_URL);
  if (!payload || !signature) return MALFORMED;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch {
    return MALFORMED;
  }
  const claims = pickClaims(json);
  return claims ? { ok: true, token: { signedText, signature, claims } } : MALFORMED;
}

/** The known claims of a payload object; `undefined` when a known claim is not a string (as Go's decoder fails). */
function pickClaims(json: unknown): LicenseClaims | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const claims: LicenseClaims = {};
  for (const key of CLAIM_KEYS) {
    const value = (json as Record<string, unknown>)[key];
    if (typeof value === "string") claims[key] = value;
    else if (value !== undefined && value !== null) return undefined;
  }
  return claims;
}

/** The deployment a token was issued by: V3 `deployment_id`, else the V2 `org_id`. */
export function deploymentIdOf(claims: LicenseClaims): string | undefined {
  return claims.deployment_id || claims.org_id || undefined;
}

/**
 * Signs `claims` as given — key order and all — into a token. Prefer {@link mintLicenseToken},
 * which builds V3 claims; this is the lower layer for re-encoding stored or foreign payloads.
 */
export async function encodeLicenseToken(claims: LicenseClaims, keyring: Keyring): Promise<string> {
  const signedText = encodeBase64(encoder.encode(JSON.stringify(claims)), RAW_URL);
  const signature = await keyring.sign(encoder.encode(signedText));
  return `${TOKEN_PREFIX}${signedText}.${encodeBase64(signature, RAW_URL)}`;
}

/** What a license is minted from. Everything the token signs is here, so re-minting a stored row is byte-identical. */
export interface MintLicenseInput {
  tier: LicenseTier;
  tenantId: string;
  aud: Audience;
  /** UUID of the `plugin_user_licenses` row; the revocation key. */
  jti: string;
  /** `YYYYMMDD`; see {@link formatLicenseDate}. */
  issuedAt: string;
  /** `YYYYMMDD`, not before `issuedAt`; see {@link licenseExpiry}. */
  expiresAt: string;
  /** Left out of the payload when empty (Go `omitempty`). */
  email?: string;
  /** Defaults to {@link DEFAULT_DEPLOYMENT_ID}. */
  deploymentId?: string;
}

/** A mint request that would produce a token no verifier accepts. */
export class LicenseInputError extends Error {
  override name = "LicenseInputError";
}

/**
 * A V3 license token. Ed25519 is deterministic, so the same input and key always give the same
 * string. Rejects with {@link LicenseInputError} for invalid input, and with the keyring's
 * `MintingUnavailableError` on a verifier-only deployment.
 */
export async function mintLicenseToken(input: MintLicenseInput, keyring: Keyring): Promise<string> {
  validateMintInput(input);
  const deploymentId = input.deploymentId || DEFAULT_DEPLOYMENT_ID;
  const claims: LicenseClaims = {
    tier: input.tier,
    deployment_id: deploymentId,
    org_id: deploymentId,
    issued_at: input.issuedAt,
    expires_at: input.expiresAt,
    ...(input.email ? { email: input.email } : {}),
    tenant_id: input.tenantId,
    aud: input.aud,
    jti: input.jti,
    kid: SIGNING_KEY_ID,
  };
  return encodeLicenseToken(claims, keyring);
}

function validateMintInput(input: MintLicenseInput): void {
  if (!isLicenseTier(input.tier)) {
    throw new LicenseInputError(`tier must be one of ${LICENSE_TIERS.join(", ")}`);
  }
  if (!Object.hasOwn(AUDIENCES, input.aud)) throw new LicenseInputError(`aud "${input.aud}" is not a known audience`);
  if (!input.tenantId) throw new LicenseInputError("tenant id must not be empty");
  if (!input.jti) throw new LicenseInputError("jti must not be empty");
  const issued = parseLicenseDate(input.issuedAt);
  const expires = parseLicenseDate(input.expiresAt);
  if (issued === undefined) throw new LicenseInputError(`issued_at "${input.issuedAt}" is not a YYYYMMDD date`);
  if (expires === undefined) throw new LicenseInputError(`expires_at "${input.expiresAt}" is not a YYYYMMDD date`);
  if (expires < issued) throw new LicenseInputError("expires_at is before issued_at");
}

/** `date` as a `YYYYMMDD` UTC date. */
export function formatLicenseDate(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll("-", "");
}

/** Midnight UTC of a `YYYYMMDD` date in epoch milliseconds, or `undefined` if it is not a real date. */
export function parseLicenseDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const midnight = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 20260231 over into March; a real date survives the round trip.
  return formatLicenseDate(new Date(midnight)) === text ? midnight : undefined;
}

/** Validity 0 means "no practical end" in the reference: +100 years. */
const UNLIMITED_VALIDITY_YEARS = 100;

/** `expires_at` for a license issued on `issuedAt` (`YYYYMMDD`) valid for `validityDays` (0 = +100 years). */
export function licenseExpiry(issuedAt: string, validityDays: number): string {
  const issued = parseLicenseDate(issuedAt);
  if (issued === undefined) throw new LicenseInputError(`issued_at "${issuedAt}" is not a YYYYMMDD date`);
  if (!Number.isInteger(validityDays) || validityDays < 0) {
    throw new LicenseInputError("validity days must be a whole number ≥ 0");
  }
  const expiry = new Date(issued);
  if (validityDays === 0) expiry.setUTCFullYear(expiry.getUTCFullYear() + UNLIMITED_VALIDITY_YEARS);
  else expiry.setUTCDate(expiry.getUTCDate() + validityDays);
  return formatLicenseDate(expiry);
}
