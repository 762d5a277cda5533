/**
 * The three error body shapes of the reference (platform.md §0.2). Clients compare these bodies,
 * so every handler builds its errors through one of these helpers.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Shape A: `{"error":{"code":<status>,"message":"<text>"}}`. */
export function errorA(c: Context, status: ContentfulStatusCode, message: string, headers?: Record<string, string>) {
  return c.json({ error: { code: status, message } }, status, headers);
}

/** Shape B (`ClientResponse`): `{"success":false,"error":"<text>","blocked":false, …}`. */
export function errorB(c: Context, status: ContentfulStatusCode, message: string, extra: Record<string, unknown> = {}) {
  return c.json({ success: false, error: message, blocked: false, ...extra }, status);
}

/** The orchestrator's error shape (`OrchestratorResponse`): `{"success":false,"error":"<text>"}`. */
export function errorO(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ success: false, error: message }, status);
}

/**
 * The reference orchestrator's full error body (`OrchestratorResponse`), which its own routes
 * (audit, overrides, decisions) answer: the message plus fixed empty fields, in Go struct order.
 */
export function errorOrchestrator(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json(
    {
      request_id: "",
      success: false,
      error: message,
      redacted: false,
      policy_info: null,
      provider_info: null,
      processing_time: "",
    },
    status,
  );
}

/** Shape C: Go's `http.Error`, plain text with a trailing newline. */
export function errorC(c: Context, status: ContentfulStatusCode, message: string) {
  return c.text(`${message}\n`, status, {
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
  });
}

export const SERVICE_UNAVAILABLE = "Service temporarily unavailable";
