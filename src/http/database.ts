import type { Context, MiddlewareHandler } from "hono";
import { Database, isDatabaseUnavailable, type Tx } from "../db/client";
import { checkAppRole } from "../db/guard";
import { withOrgScope } from "../db/scope";
import type { AppEnv } from "./context";
import { defer } from "./defer";
import { errorA, SERVICE_UNAVAILABLE } from "./errors";
import { errorMessage } from "./log";

/**
 * Runs `fn` with the request's app-role connection (connected lazily), applying the
 * refuse-to-serve guard first: without an app-role URL, or when that role can bypass RLS, `fn`
 * never runs, a FATAL line is logged and `unavailable()` answers. The connection closes after the
 * response and its background work.
 */
export async function withRequestDatabase(
  c: Context<AppEnv>,
  fn: (db: Database) => Promise<Response | undefined>,
  unavailable: () => Response,
): Promise<Response | undefined> {
  const { AXONFLOW_DB_APP_ROLE_URL: url, NEON_WS_PROXY: wsProxy, AXONFLOW_DB_TIMEOUT_MS: timeoutMs } = c.var.config;
  const db = url ? new Database({ url, wsProxy, timeoutMs }) : undefined;
  try {
    const verdict = await checkAppRole(url, db);
    if (!verdict.ok) {
      c.var.log.log("fatal", "db_refuse_to_serve", {
        reason: verdict.reason,
        detail:
          verdict.reason === "missing_app_role_url"
            ? "AXONFLOW_DB_APP_ROLE_URL is not set"
            : "AXONFLOW_DB_APP_ROLE_URL connects as a role with BYPASSRLS or SUPERUSER",
      });
      if (db) defer(c, db.close());
      return unavailable();
    }
  } catch (error) {
    c.var.log.log("error", "db_unavailable", { error: errorMessage(error) });
    if (db) defer(c, db.close());
    return unavailable();
  }
  const ready = db as Database;
  try {
    return await fn(ready);
  } catch (error) {
    // The guard's verdict is cached per isolate, so an outage after it surfaces here instead.
    if (!isDatabaseUnavailable(error)) throw error;
    c.var.log.log("error", "db_unavailable", { error: errorMessage(error) });
    return unavailable();
  } finally {
    c.var.cost.dbQueries += ready.queryCount;
    defer(c, ready.close());
  }
}

/** Middleware form of withRequestDatabase for JSON routes: `c.var.db`, 503 shape A when refused. */
export const requireDatabase: MiddlewareHandler<AppEnv> = async (c, next) =>
  withRequestDatabase(
    c,
    async (db) => {
      c.set("db", db);
      await next();
      return undefined;
    },
    () => errorA(c, 503, SERVICE_UNAVAILABLE),
  );

/** The database could not be used (no app-role URL, a role that bypasses RLS, or unreachable). */
export class DatabaseUnavailable extends Error {
  constructor() {
    super("database unavailable");
    this.name = "DatabaseUnavailable";
  }
}

/**
 * Runs `fn` in one transaction scoped to `orgId` on the request's app-role connection, for code
 * that is not a route of its own (MCP tools); throws DatabaseUnavailable where a route would 503.
 */
export async function queryAsTenant<T>(c: Context<AppEnv>, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  await withRequestDatabase(
    c,
    async (db) => {
      result = { value: await withOrgScope(db, orgId, fn) };
      return undefined;
    },
    () => {
      throw new DatabaseUnavailable();
    },
  );
  if (!result) throw new DatabaseUnavailable();
  return result.value;
}
