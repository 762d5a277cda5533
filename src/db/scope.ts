/**
 * Transactions with a tenant scope. Row-level security is keyed on `app.current_org_id`, set with
 * `set_config(…, true)` so it lives exactly as long as the transaction.
 */
import { sql } from "drizzle-orm";
import type { Database, Tx } from "./client";

/**
 * Runs `fn` in a transaction on the app-role connection with `app.current_org_id = orgId`.
 * Every statement inside sees and writes only that org's rows.
 */
export async function withOrgScope<T>(db: Database, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!orgId) throw new Error("withOrgScope requires an org id");
  const orm = await db.orm();
  return orm.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.current_org_id', ${orgId}, true)`);
    return fn(tx);
  });
}

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** The SQLSTATE of a driver error (drizzle wraps it in `cause`). */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Runs `attempt` again after serialization failures and deadlocks (at most `times` runs). */
export async function retryOnConflict<T>(attempt: () => Promise<T>, times = 8): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await attempt();
    } catch (error) {
      if (run >= times || !RETRYABLE.has(sqlState(error) ?? "")) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * run));
    }
  }
}

/** A tenant write that should touch `expected` rows touched another number. RLS filters rows
 * silently, so a zero here usually means the wrong org scope: it must fail, never pass quietly. */
export class RowCountMismatchError extends Error {
  constructor(
    readonly statement: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${statement}: expected ${expected} row(s), affected ${actual}`);
    this.name = "RowCountMismatchError";
  }
}

/** Checks the affected-row count of an UPDATE/DELETE result and returns the result. */
export function expectAffected<R extends { rowCount: number | null }>(
  result: R,
  expected: number,
  statement: string,
): R {
  const actual = result.rowCount ?? 0;
  if (actual !== expected) throw new RowCountMismatchError(statement, expected, actual);
  return result;
}
