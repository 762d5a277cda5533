import type { Hono } from "hono";
import type { AppEnv } from "./context";
import { errorA } from "./errors";

/**
 * Answers every method of `path` that no handler took with 405 shape A and an `Allow` header.
 * Register it after the path's real handlers (hono matches in registration order). OPTIONS never
 * gets here: the CORS middleware answers it first.
 */
export function methodNotAllowed(
  app: Hono<AppEnv>,
  path: string,
  allowed: readonly string[],
  message = "Method not allowed",
): void {
  const allow = [...allowed, "OPTIONS"].join(", ");
  app.all(path, (c) => errorA(c, 405, message, { Allow: allow }));
}
