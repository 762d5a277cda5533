import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect, vi } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";

export const BASE = "http://axonflow.test";

export interface CallOptions extends RequestInit {
  /** Becomes CF-Connecting-IP; defaults to 127.0.0.1. */
  ip?: string;
}

/** One request to the Worker as deployed (wrangler.toml + test bindings). */
export function call(path: string, { ip = "127.0.0.1", headers, ...init }: CallOptions = {}): Promise<Response> {
  const merged = new Headers(headers);
  if (!merged.has("CF-Connecting-IP")) merged.set("CF-Connecting-IP", ip);
  return SELF.fetch(`${BASE}${path}`, { ...init, headers: merged });
}

/** One request to the Worker with some bindings replaced (config switches, guard scenarios). */
export async function callWithEnv(overrides: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>,
    { ...(env as Env), ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export const basic = (tenantId: string, secret: string) => `Basic ${btoa(`${tenantId}:${secret}`)}`;

export interface Registration {
  tenant_id: string;
  secret: string;
  secret_prefix: string;
  expires_at: string;
  endpoint: string;
  note: string;
}

/** A random loopback address: per-IP budgets never couple tests, across files included. */
export function randomLoopback(): string {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint8Array(3));
  return `127.${a}.${b}.${(c % 254) + 1}`;
}

/** Registers a fresh tenant (each from its own loopback address, so per-IP limits never interfere). */
export async function registerTenant(body: Record<string, unknown> = {}): Promise<Registration> {
  const response = await call("/api/v1/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ip: randomLoopback(),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Registration;
}

export async function expectErrorA(response: Response, status: number, message: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ error: { code: status, message } });
}

/**
 * Runs `fn` with `Date` frozen (the Worker shares the test isolate's Date), by default in the
 * middle of the current minute, so per-minute windows and ±N-second checks cannot roll mid-test.
 */
export async function withFrozenClock<T>(
  fn: () => Promise<T>,
  atMs = Math.floor(Date.now() / 60_000) * 60_000 + 30_000,
): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(atMs);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

/** The reference orchestrator's error body (its audit, override and decision routes), spelled out. */
export const orchestratorError = (message: string) => ({
  request_id: "",
  success: false,
  error: message,
  redacted: false,
  policy_info: null,
  provider_info: null,
  processing_time: "",
});
