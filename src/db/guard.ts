/**
 * Refuse-to-serve guard (decisions.md "Data"): request code must connect as a role that cannot
 * bypass row-level security. Checked once per isolate and connection string; a bad verdict is
 * remembered so every later request is refused without another round trip.
 */
import type { Database } from "./client";

export type GuardVerdict = { ok: true } | { ok: false; reason: "missing_app_role_url" | "role_bypasses_rls" };

const verdicts = new Map<string, GuardVerdict>();

/** Checks (once per isolate) that `db` is connected as a role without BYPASSRLS or SUPERUSER. */
export async function checkAppRole(url: string | undefined, db: Database | undefined): Promise<GuardVerdict> {
  if (!url || !db) return { ok: false, reason: "missing_app_role_url" };
  const known = verdicts.get(url);
  if (known) return known;
  const rows = await db.query<{ unsafe: boolean }>(
    "select (r.rolbypassrls or r.rolsuper) as unsafe from pg_catalog.pg_roles r where r.rolname = current_user",
  );
  const verdict: GuardVerdict = rows[0]?.unsafe === false ? { ok: true } : { ok: false, reason: "role_bypasses_rls" };
  verdicts.set(url, verdict);
  return verdict;
}
