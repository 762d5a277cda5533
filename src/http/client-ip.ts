import type { Context } from "hono";

/**
 * The client address. On Cloudflare only `CF-Connecting-IP`, set by the edge, is trusted;
 * `X-Forwarded-For` and `X-Real-IP` are client-controlled and never read.
 */
export function clientIp(c: Context): string {
  return c.req.header("CF-Connecting-IP")?.trim() || "unknown";
}
