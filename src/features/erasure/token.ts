/**
 * Erasure tokens (platform.md §7.1): 32 random bytes, base64url without padding (43 characters),
 * stored only as hex HMAC-SHA256(AXONFLOW_TENANT_DELETE_TOKEN_PEPPER, token).
 */
import { hmacSha256Hex } from "../../crypto";
import { encodeBase64, RAW_URL } from "../../license/base64";

/** A fresh deletion token (43 characters of base64url). */
export function mintDeletionToken(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(32)), RAW_URL);
}

/** The stored form of `token`: lower-case hex HMAC-SHA256 keyed with `pepper`. */
export async function hashDeletionToken(token: string, pepper: string): Promise<string> {
  return hmacSha256Hex(pepper, token);
}
