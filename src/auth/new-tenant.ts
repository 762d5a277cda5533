/**
 * A new tenant's credential, minted by registration and by recovery alike: a fresh 128-bit secret,
 * its stored hash and the registration's expiry (platform.md §1.1, §6.3).
 */
import { generateSecret, hashSecret } from "../credentials/secret-hash";
import { REGISTRATION } from "../tiers";

const DAY_MS = 86_400_000;
/** A new tenant id collides with an existing one so rarely that three tries always suffice. */
const MAX_TENANT_ID_ATTEMPTS = 3;

/** What an insert reports when the id it was given already exists (nothing else changed). */
export const TENANT_ID_TAKEN = "tenant_id_taken";

/**
 * Runs `insert` with fresh ids `<prefix><uuid>` until it reports anything but TENANT_ID_TAKEN,
 * at most three times (platform.md §1.1, §6.3). Returns the last id tried and its outcome.
 */
export async function insertWithFreshTenantId<Outcome extends string>(
  prefix: string,
  insert: (tenantId: string) => Promise<Outcome>,
): Promise<{ tenantId: string; outcome: Outcome | typeof TENANT_ID_TAKEN }> {
  let tenantId = "";
  let outcome: Outcome | typeof TENANT_ID_TAKEN = TENANT_ID_TAKEN;
  for (let attempt = 0; attempt < MAX_TENANT_ID_ATTEMPTS && outcome === TENANT_ID_TAKEN; attempt++) {
    tenantId = prefix + crypto.randomUUID();
    outcome = await insert(tenantId);
  }
  return { tenantId, outcome };
}

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
