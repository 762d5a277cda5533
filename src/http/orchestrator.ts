/**
 * Forwarding to a full AxonFlow orchestrator (decisions.md "Shape"): routes that need an LLM or the
 * orchestrator's own state are authenticated and counted here, then sent on to
 * `AXONFLOW_ORCHESTRATOR_URL` with the identity derived from the credential; without one they
 * answer 503 `{"success":false,"error":"orchestrator not configured"}`.
 */
import type { Context } from "hono";
import type { AppEnv } from "./context";
import { errorO } from "./errors";
import { errorMessage } from "./log";

/** Bound on the wait for the orchestrator. */
const ORCHESTRATOR_TIMEOUT_MS = 30_000;

/**
 * Sends the request (same method, path and query; `body` for methods that carry one) to the
 * orchestrator and relays its status, type and body; 502 when it cannot be reached in time.
 */
export async function forwardToOrchestrator(c: Context<AppEnv>, body?: string): Promise<Response> {
  const base = c.var.config.AXONFLOW_ORCHESTRATOR_URL;
  if (!base) return errorO(c, 503, "orchestrator not configured");
  const { identity } = c.var;
  const url = new URL(c.req.url);
  try {
    const response = await fetch(`${base}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers: {
        "Content-Type": c.req.header("Content-Type") ?? "application/json",
        "X-Tenant-ID": identity.tenantId,
        "X-Org-ID": identity.orgId,
        "X-Client-ID": identity.clientId,
        "X-Request-Id": c.var.requestId,
      },
      body: c.req.method === "GET" || c.req.method === "HEAD" ? undefined : body,
      signal: AbortSignal.timeout(ORCHESTRATOR_TIMEOUT_MS),
    });
    return new Response(response.body, {
      status: response.status,
      headers: { "Content-Type": response.headers.get("Content-Type") ?? "application/json" },
    });
  } catch (error) {
    c.var.log.log("error", "orchestrator_unreachable", { error: errorMessage(error) });
    return errorO(c, 502, "orchestrator unavailable");
  }
}
