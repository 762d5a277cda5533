import type { MiddlewareHandler } from "hono";
import { Database } from "../db/client";
import { checkAppRole } from "../db/guard";
import type { AppEnv } from "./context";
import { defer } from "./defer";
import { errorA, SERVICE_UNAVAILABLE } from "./errors";
import { errorMessage } from "./log";

/**
 * Opens the request's app-role connection (lazily connected) and applies the refuse-to-serve
 * guard: without an app-role URL, or when that role can bypass RLS, every DB-backed request gets
 * 503 and a FATAL log line. The connection closes after the response and its background work.
 */
export const requireDatabase: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { AXONFLOW_DB_APP_ROLE_URL: url, NEON_WS_PROXY: wsProxy } = c.var.config;
  const db = url ? new Database({ url, wsProxy }) : undefined;
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
      return errorA(c, 503, SERVICE_UNAVAILABLE);
    }
  } catch (error) {
    c.var.log.log("error", "db_unavailable", { error: errorMessage(error) });
    if (db) defer(c, db.close());
    return errorA(c, 503, SERVICE_UNAVAILABLE);
  }
  const ready = db as Database;
  c.set("db", ready);
  try {
    await next();
  } finally {
    c.var.cost.dbQueries += ready.queryCount;
    defer(c, ready.close());
  }
};
