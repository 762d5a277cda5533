import type { Context } from "hono";

/** Keeps `promise` alive after the response (waitUntil) where an execution context exists. */
export function defer(c: Context, promise: Promise<unknown>): void {
  const settled = promise.catch(() => {});
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No execution context (app.request in unit tests): the promise simply runs on.
  }
}
