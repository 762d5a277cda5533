/**
 * A new tenant's credential, minted by registration and by recovery alike: a fresh 128-bit secret,
 * its stored hash and the registration's expiry (platform.md §1.1, §6.3).
 */
import { REGISTRATION } from "../tiers";
import { generateSecret, hashSecret } from "./secret-hash";

const DAY_MS = 86_400_000;
/** A new tenant id collides with an existing one so rarely that three tries always suffice. */
export const MAX_TENANT_ID_ATTEMPTS = 3;

export interface NewTenantCredential {
  secret: string;
  secretHash: string;
  secretPrefix: string;
  /** Whole seconds, so the stored value and the `expires_at` the client sees are equal. */
  expiresAt: Date;
}

export async function mintTenantCredential(pepper: string, nowMs = Date.now()): Promise<NewTenantCredential> {
  const secret = generateSecret();
  return {
    secret,
    secretHash: await hashSecret(secret, pepper),
    secretPrefix: secret.slice(0, 8),
    expiresAt: new Date(Math.floor(nowMs / 1000) * 1000 + REGISTRATION.validityDays * DAY_MS),
  };
}
