import { inject } from "vitest";
import { Database } from "../../src/db/client";

/** A connection to the test Postgres as `url`'s role, through the same driver and proxy the Worker uses. */
export function connect(url: string): Database {
  return new Database({ url, wsProxy: inject("wsProxy") });
}

/** Runs one statement as the superuser (fixtures and assertions only; the Worker never is one). */
export async function superuser<Row extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const db = connect(inject("superuserUrl"));
  try {
    return await db.query<Row>(text, params);
  } finally {
    await db.close();
  }
}
