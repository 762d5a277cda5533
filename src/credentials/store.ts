/** Reads registrations through the SECURITY DEFINER functions (pre-auth: no org yet). */
import type { Database } from "../db/client";
import type { CredentialRecord } from "./check";

interface LookupRow extends Record<string, unknown> {
  secret_hash: string;
  expires_at: Date | string;
  disabled_at: Date | string | null;
  terminated_at: Date | string | null;
  org_id: string;
}

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

export async function lookupCredential(db: Database, tenantId: string): Promise<CredentialRecord | undefined> {
  const rows = await db.query<LookupRow>(
    "select secret_hash, expires_at, disabled_at, terminated_at, org_id from public.csaas_auth_lookup($1)",
    [tenantId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    secretHash: row.secret_hash,
    expiresAt: toDate(row.expires_at),
    disabledAt: row.disabled_at === null ? null : toDate(row.disabled_at),
    terminatedAt: row.terminated_at === null ? null : toDate(row.terminated_at),
    orgId: row.org_id,
  };
}
