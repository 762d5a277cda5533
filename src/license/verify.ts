/**
 * Checks an `X-License-Token` presented on an authenticated Community-SaaS request, in the order
 * of platform.md §2.5, answering with the statuses and exact messages of §2.6. Pure apart from
 * the per-isolate memo of verified signatures; the revocation lookup by `jti` is the caller's.
 */
import {
  decodeLicenseToken,
  deploymentIdOf,
  isLicenseTier,
  type LicenseClaims,
  type LicenseTier,
  parseLicenseDate,
} from "./codec";
import type { Keyring } from "./keys";
import { hasScope, isAcceptedOnSaasPluginPath, type SaasPluginAudience, scopeFromClientHeader } from "./matrix";

/** A token stays valid this long after its `expires_at` date (§2.5 step 7). */
export const EXPIRY_GRACE_MS = 24 * 60 * 60 * 1000;
/** Bound of the verified-signature memo per keyring. */
export const SIGNATURE_MEMO_LIMIT = 10_000;

/** A rejection, to be sent as a shape-A error body. */
export interface LicenseRejection {
  status: 401 | 403 | 503;
  message: string;
}

/** Rejections decided after the `jti` lookup (§2.6), which is the caller's job. */
export const LICENSE_LOOKUP_REJECTIONS = {
  /** No `plugin_user_licenses` row for the jti, or the row is revoked. */
  notFoundOrRevoked: { status: 401, message: "license_not_found_or_revoked" },
  /** The row belongs to another tenant than the authenticated one. */
  tenantMismatch: { status: 403, message: "license_tenant_mismatch" },
  /** The lookup itself failed. */
  unavailable: (jti: string) => ({ status: 503, message: `license_lookup_unavailable (jti=${jti})` }),
} as const satisfies Record<string, LicenseRejection | ((jti: string) => LicenseRejection)>;

/** The claims of a token that passed every check, typed and named for the rest of the app. */
export interface VerifiedLicense {
  tier: LicenseTier;
  tenantId: string;
  jti: string;
  aud: SaasPluginAudience;
  /** V3 `deployment_id`, else V2 `org_id`. */
  deploymentId: string | undefined;
  issuedAt: string | undefined;
  expiresAt: string;
  email: string | undefined;
  kid: string | undefined;
}

/** What {@link verifyPresentedToken} is given. */
export interface PresentedToken {
  /** The `X-License-Token` value. */
  token: string;
  /** The `X-Axonflow-Client` value (absent = empty). */
  clientHeader: string | null | undefined;
  /** The tenant the Basic-auth credential resolved to. */
  authTenantId: string;
  keyring: Keyring;
  now: Date;
}

/**
 * The verdict. `expired` means past `expires_at` plus the grace period: not an error — the
 * request proceeds as Free and says so in `X-Axonflow-License-Status: expired` (decisions.md).
 */
export type PresentedTokenVerdict =
  | { ok: true; claims: VerifiedLicense; expired: boolean }
  | { ok: false; status: 401 | 403; message: string };

/** Claims of a token whose tier and signature checked out (steps 1–4). */
type AuthenticClaims = LicenseClaims & { tier: LicenseTier };

/** Tokens whose signature verified, per keyring; a warm request skips decoding and Ed25519. */
const verifiedTokens = new WeakMap<Keyring, Map<string, AuthenticClaims>>();

const invalid = (reason: string): PresentedTokenVerdict => ({
  ok: false,
  status: 401,
  message: `invalid_license_token: ${reason}`,
});

/**
 * Validates a presented token: prefix → decode → tier → signature → aud accept list →
 * tenant_id/jti present → scope (`HasScope` vs `X-Axonflow-Client`) → tenant match → expiry.
 * Never throws for any token text.
 */
export async function verifyPresentedToken(presented: PresentedToken): Promise<PresentedTokenVerdict> {
  const authentic = await authenticate(presented.token, presented.keyring);
  if (!authentic.ok) return invalid(authentic.reason);
  const { claims } = authentic;

  const aud = claims.aud ?? "";
  if (!isAcceptedOnSaasPluginPath(aud)) {
    return { ok: false, status: 401, message: `cross_quadrant_token: aud "${aud}" not accepted on SaaS plugin path` };
  }
  if (!claims.tenant_id || !claims.jti) return invalid("missing tenant_id or jti");

  const client = presented.clientHeader ?? "";
  const scope = scopeFromClientHeader(client);
  if (!hasScope(aud, scope)) {
    return {
      ok: false,
      status: 401,
      message: `scope_mismatch: token aud "${aud}" does not grant scope "${scope}" (client "${client}")`,
    };
  }
  if (claims.tenant_id !== presented.authTenantId) {
    return {
      ok: false,
      status: 403,
      message: "license_tenant_mismatch: token tenant_id does not match authenticated tenant",
    };
  }

  const expiresAt = claims.expires_at ?? "";
  const expiryStart = parseLicenseDate(expiresAt);
  if (expiryStart === undefined) return invalid(`token expires_at "${expiresAt}" is not a YYYYMMDD date`);
  return {
    ok: true,
    expired: presented.now.getTime() > expiryStart + EXPIRY_GRACE_MS,
    claims: {
      tier: claims.tier,
      tenantId: claims.tenant_id,
      jti: claims.jti,
      aud,
      deploymentId: deploymentIdOf(claims),
      issuedAt: claims.issued_at,
      expiresAt,
      email: claims.email,
      kid: claims.kid,
    },
  };
}

type Authentication = { ok: true; claims: AuthenticClaims } | { ok: false; reason: string };

const encoder = new TextEncoder();

/** Steps 1–4: decoded, a SaaS plugin tier, and signed by the keyring — memoised when all hold. */
async function authenticate(token: string, keyring: Keyring): Promise<Authentication> {
  let memo = verifiedTokens.get(keyring);
  const remembered = memo?.get(token);
  if (memo && remembered) {
    // Re-insert so the map's insertion order is least-recently-used first.
    memo.delete(token);
    memo.set(token, remembered);
    return { ok: true, claims: remembered };
  }

  const decoded = decodeLicenseToken(token);
  if (!decoded.ok) return decoded;
  const { claims, signedText, signature } = decoded.token;
  if (!isLicenseTier(claims.tier)) {
    return { ok: false, reason: `token tier "${claims.tier ?? ""}" is not a SaaS Plugin tier` };
  }
  const authentic = { ...claims, tier: claims.tier };
  if (!(await keyring.verify(encoder.encode(signedText), signature))) {
    return { ok: false, reason: "Ed25519 signature verification failed" };
  }

  if (!memo) {
    memo = new Map();
    verifiedTokens.set(keyring, memo);
  }
  if (memo.size >= SIGNATURE_MEMO_LIMIT) {
    const leastRecent = memo.keys().next();
    if (!leastRecent.done) memo.delete(leastRecent.value);
  }
  memo.set(token, authentic);
  return { ok: true, claims: authentic };
}
