/**
 * The credential check order of platform.md §1.3 as a pure function: not found → terminated →
 * disabled → expired → secret. Only "terminated" has its own message; every other failure looks
 * the same to the caller so responses carry no enumeration signal.
 */
import { storedHashesEqual } from "./secret-hash";

/** What `csaas_auth_lookup` returns for a tenant id. */
export interface CredentialRecord {
  secretHash: string;
  expiresAt: Date;
  disabledAt: Date | null;
  terminatedAt: Date | null;
  orgId: string;
}

export type CredentialFailure = "not_found" | "terminated" | "disabled" | "expired" | "secret_mismatch";

export type CredentialVerdict = { ok: true; orgId: string } | { ok: false; reason: CredentialFailure };

export function evaluateCredential(
  record: CredentialRecord | undefined,
  presentedHash: string,
  now: Date,
): CredentialVerdict {
  if (!record) return { ok: false, reason: "not_found" };
  if (record.terminatedAt) return { ok: false, reason: "terminated" };
  if (record.disabledAt) return { ok: false, reason: "disabled" };
  if (record.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  if (!record.secretHash || !storedHashesEqual(record.secretHash, presentedHash)) {
    return { ok: false, reason: "secret_mismatch" };
  }
  return { ok: true, orgId: record.orgId };
}
