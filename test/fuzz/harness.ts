/**
 * What the fuzz tests share: the tenant pool, the route list (from /openapi.json), sending a
 * request spec to the Worker, capturing every log line of the isolate, and the oracle — the
 * properties every response and every log line must have.
 *
 * Log capture: under @cloudflare/vitest-pool-workers the Worker (SELF.fetch) and its Durable
 * Objects run in the test isolate, so spies on `console` see their lines. `LogCapture` proves it
 * on every run: each response's `X-Request-Id` must have its `"event":"request"` line.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { expect, vi } from "vitest";
import { z } from "zod";
import { STRIPE_TEST_SECRET, TEST_PEPPER } from "../support/constants";
import { basic, call, randomLoopback, registerTenant } from "../support/http";
import { issueTestLicense } from "../support/license";
import {
  type BodySpec,
  FUZZ_REPORT,
  FUZZ_SCALE,
  FUZZ_SEED,
  type HeaderPair,
  headerSafe,
  type RouteTemplate,
  SPICY_STRINGS,
} from "./arbitraries";

// ---- log capture ----

/** The real console, for the fuzz's own summary (captured lines are not printed). */
const print = console.warn.bind(console);

/** Prints how many requests ran, their statuses and the slowest ones (when FUZZ_REPORT is on). */
export function report(ctx: FuzzContext): void {
  if (!FUZZ_REPORT) return;
  const total = ctx.timings.reduce((sum, t) => sum + t.ms, 0);
  const slowest = [...ctx.timings].sort((a, b) => b.ms - a.ms).slice(0, 15);
  print(
    `fuzz: ${ctx.requests} requests, ${total} ms summed; statuses ${JSON.stringify(Object.fromEntries(ctx.statuses))}\n` +
      slowest.map((t) => `  ${t.ms} ms ${t.what}`).join("\n"),
  );
}

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug"] as const;

export class LogCapture {
  readonly lines: string[] = [];
  #spies: Array<{ mockRestore(): void }> = [];

  start(): void {
    for (const method of CONSOLE_METHODS) {
      this.#spies.push(
        vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
          this.lines.push(args.map((a) => (typeof a === "string" ? a : safeStringify(a))).join(" "));
        }),
      );
    }
  }

  stop(): void {
    for (const spy of this.#spies) spy.mockRestore();
    this.#spies = [];
  }

  /** The `"event":"request"` line of each request id seen so far. */
  requestLines(): Map<string, string[]> {
    const byId = new Map<string, string[]>();
    for (const line of this.lines) {
      if (!line.includes('"event":"request"')) continue;
      const id = /"requestId":"([^"]*)"/.exec(line)?.[1];
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), line]);
    }
    return byId;
  }
}

function safeStringify(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}\n${value.stack ?? ""}` : JSON.stringify(value);
  } catch {
    return String(value);
  }
}

// ---- tenant pool ----

export interface PoolTenant {
  id: string;
  secret: string;
  /** Every request of this tenant comes from its own loopback address. */
  ip: string;
  email: string;
  /** A Pro license (aud axonflow.saas.full, so any X-Axonflow-Client is in scope). */
  license?: string;
  authorization: string;
}

export interface Pool {
  tenants: PoolTenant[];
  /** Emails only ever sent in register/recover/erasure bodies: they must never come back in a response. */
  bodyEmails: string[];
  /** Emails sent as X-User-Email (audit rows may echo them to their own tenant). */
  headerEmails: string[];
  /** Unregistered tenant ids junk credentials use (a few, so their gates stay warm). */
  fakeIds: string[];
}

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Registers `size` tenants (the first `pro` with a Pro license), each claiming one of two fresh emails. */
export async function createPool(size: number, pro: number): Promise<Pool> {
  const run = hex(4);
  const bodyEmails = [`fuzz-${run}-a@example.com`, `fuzz-${run}-b@example.org`];
  const headerEmails = [`fuzz-${run}-user@example.net`];
  const tenants = await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const email = bodyEmails[i % bodyEmails.length] as string;
      const registration = await registerTenant({ label: `fuzz ${run} #${i}`, email });
      const license =
        i < pro ? (await issueTestLicense(registration.tenant_id, { aud: "axonflow.saas.full" })).token : undefined;
      return {
        id: registration.tenant_id,
        secret: registration.secret,
        ip: randomLoopback(),
        email,
        license,
        authorization: basic(registration.tenant_id, registration.secret),
      };
    }),
  );
  const fakeIds = [`cs_${crypto.randomUUID()}`, `cs_${crypto.randomUUID()}`];
  return { tenants, bodyEmails, headerEmails, fakeIds };
}

// ---- routes ----

interface OpenApiOperation {
  security?: unknown[];
  tags?: string[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

function jsonType(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  const types = [schema.type, ...(schema.anyOf ?? []).map((s) => s.type), ...(schema.oneOf ?? []).map((s) => s.type)]
    .flat()
    .filter((t): t is string => typeof t === "string" && t !== "null");
  return types[0];
}

/** Every served route template, from the Worker's own /openapi.json. */
export async function loadRoutes(): Promise<RouteTemplate[]> {
  const response = await call("/openapi.json");
  expect(response.status).toBe(200);
  const document = (await response.json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteTemplate[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      const fields: Record<string, string | undefined> = {};
      for (const [name, property] of Object.entries(schema?.properties ?? {})) fields[name] = jsonType(property);
      routes.push({
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
        fields,
        query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
        authenticated: (operation.security?.length ?? 0) > 0,
        tags: operation.tags ?? [],
      });
    }
  }
  return routes;
}

// ---- requests ----

export type AuthSpec =
  | { kind: "none" }
  /** A junk Authorization value (never a pool tenant's working credential). */
  | { kind: "raw"; value: string }
  /** A pool tenant's credential, optionally as Codex's bare base64, with a license choice. */
  | {
      kind: "tenant";
      index: number;
      bare: boolean;
      license: "none" | "own" | "foreign" | "junk";
      junkLicense?: string;
    };

export interface RequestSpec {
  method: string;
  path: string;
  headers: HeaderPair[];
  body: BodySpec;
  auth: AuthSpec;
}

export interface Exchange {
  spec: RequestSpec;
  tenant?: PoolTenant;
  status: number;
  headers: Headers;
  body: string;
  /** Strings this request carried that must never be logged (secrets, tokens, emails). */
  sentSecrets: string[];
  sentEmails: string[];
  /** A secret minted by this request (registration) may appear in this response only. */
  mintedSecret?: string;
  ms: number;
  /** For a HEAD answered ≥ 500: the same request sent as GET. */
  getTwin?: Exchange;
}

export function materialiseBody(body: BodySpec): string | Uint8Array | undefined {
  switch (body.kind) {
    case "none":
      return undefined;
    case "text":
      return body.text;
    case "json":
      return JSON.stringify(body.value) ?? "null";
    case "bytes":
      return new Uint8Array(body.bytes);
    case "deep": {
      const [open, close] = body.container === "array" ? ["[", "]"] : ['{"a":', "}"];
      const deep = `${open.repeat(body.depth)}1${close.repeat(body.depth)}`;
      if (!body.field) return deep;
      const extra = JSON.stringify(body.extra ?? {}).slice(1, -1);
      return `{${JSON.stringify(body.field)}:${deep}${extra ? `,${extra}` : ""}}`;
    }
  }
}

const EMAIL_CHAR = /[^\s@"'<>()[\]\\,;:\0]/;

/**
 * The email addresses in `text`, found from each `@` outwards (linear: a regex with a leading
 * `[^…]+@` is quadratic on a 10 MB body without an `@`).
 */
function emailsIn(text: string): string[] {
  const found: string[] = [];
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > 0 && at - start < 255 && EMAIL_CHAR.test(text[start - 1] as string)) start--;
    let end = at + 1;
    while (end < text.length && end - at < 255 && EMAIL_CHAR.test(text[end] as string)) end++;
    const candidate = text.slice(start, end);
    if (start < at && /^[^@]+@[^@]+\.[A-Za-z]{2,}$/.test(candidate)) found.push(candidate.toLowerCase());
  }
  return found;
}

function decodeBasic(value: string): { user: string; secret: string } | undefined {
  const encoded = value.trim().replace(/^basic\s+/i, "");
  try {
    const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const colon = text.indexOf(":");
    return colon < 0 ? undefined : { user: text.slice(0, colon), secret: text.slice(colon + 1) };
  } catch {
    return undefined;
  }
}

/** A request still unanswered after this long fails the property (a hang is a bug too). */
const ANSWER_TIMEOUT_MS = 15_000;

/** Sends one spec to the Worker and reads the whole answer. */
export async function send(spec: RequestSpec, pool: Pool): Promise<Exchange> {
  const headers = new Headers();
  const sentSecrets: string[] = [];
  for (const [name, value] of spec.headers) headers.append(name, headerSafe(value));
  let tenant: PoolTenant | undefined;
  const auth = spec.auth;
  if (auth.kind === "raw") {
    headers.set("Authorization", headerSafe(auth.value));
    const decoded = decodeBasic(headerSafe(auth.value));
    const secret = decoded?.secret.trim() ?? "";
    // Secrets long enough to be unmistakable, not the public spicy constants (a log may quote those as other fields).
    const publicText = (SPICY_STRINGS as readonly string[]).includes(secret);
    if (secret.length >= 12 && !publicText && !decoded?.user.includes(secret)) sentSecrets.push(secret);
  } else if (auth.kind === "tenant") {
    tenant = pool.tenants[auth.index % pool.tenants.length] as PoolTenant;
    headers.set("Authorization", auth.bare ? tenant.authorization.slice("Basic ".length) : tenant.authorization);
    const others = pool.tenants.filter((t) => t.license && t !== tenant);
    const license =
      auth.license === "own"
        ? tenant.license
        : auth.license === "foreign"
          ? others[auth.index % Math.max(1, others.length)]?.license
          : auth.license === "junk"
            ? auth.junkLicense
            : undefined;
    if (license !== undefined) headers.set("X-License-Token", headerSafe(license));
  }
  const token = headers.get("X-License-Token")?.trim();
  if (token && token.length >= 16 && !(SPICY_STRINGS as readonly string[]).includes(token)) sentSecrets.push(token);
  headers.set("CF-Connecting-IP", tenant?.ip ?? randomLoopback());

  const body = materialiseBody(spec.body);
  const bodyText = typeof body === "string" ? body : body ? new TextDecoder().decode(body) : "";
  const sentEmails = new Set<string>();
  for (const text of [bodyText, ...headers.values()]) for (const email of emailsIn(text)) sentEmails.add(email);

  const started = Date.now();
  const answered = (async () => {
    const response = await call(spec.path, {
      method: spec.method,
      headers,
      body: spec.method === "GET" || spec.method === "HEAD" ? undefined : body,
    });
    return { response, text: await response.text() };
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms: ${describeSpec(spec)}`)),
      ANSWER_TIMEOUT_MS,
    );
  });
  const { response, text } = await Promise.race([answered, hung]).finally(() => clearTimeout(timer));
  let mintedSecret: string | undefined;
  if (response.status === 201 && spec.path.startsWith("/api/v1/register")) {
    mintedSecret = (JSON.parse(text) as { secret?: string }).secret;
  }
  return {
    spec,
    tenant,
    status: response.status,
    headers: response.headers,
    body: text,
    sentSecrets,
    sentEmails: [...sentEmails],
    mintedSecret,
    ms: Date.now() - started,
  };
}

// ---- the oracle ----

/**
 * The only 5xx answers the contract documents; anything else ≥ 500 fails the property.
 * Each entry: where it is documented, and an exact match on the answer.
 */
export const ALLOWED_5XX: Array<{ reason: string; matches(ex: Exchange, json: unknown): boolean }> = [
  {
    reason:
      "README + src/http/orchestrator.ts: /api/request, /api/v1/request and the forwarded prefixes answer 503 {success:false,error:'orchestrator not configured'} when AXONFLOW_ORCHESTRATOR_URL is unset (it is in the tests)",
    matches: (ex, json) =>
      ex.status === 503 &&
      JSON.stringify(json) === JSON.stringify({ success: false, error: "orchestrator not configured" }),
  },
  {
    reason:
      "platform.md §1.1 #2, §6.1, §7 and openapi authResponses: database or tenant gate unavailable → 503 shape A 'Service temporarily unavailable' (a Postgres hiccup under load)",
    matches: (ex, json) =>
      ex.status === 503 &&
      JSON.stringify(json) === JSON.stringify({ error: { code: 503, message: "Service temporarily unavailable" } }),
  },
  {
    reason: "MCP server (openapi 503): database or gate unavailable → JSON-RPC -32603 with 503",
    matches: (ex, json) => {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      return ex.status === 503 && error?.code === -32603 && error.message === "Service temporarily unavailable";
    },
  },
  {
    reason:
      "platform.md §2.6: license lookup failure → 503 license_lookup_unavailable (jti=…) / license_verification_unavailable",
    matches: (ex, json) => {
      const error = (json as { error?: { message?: unknown } } | null)?.error;
      const message = typeof error?.message === "string" ? error.message : "";
      return ex.status === 503 && /^license_(lookup|verification)_unavailable/.test(message);
    },
  },
  {
    reason:
      "platform.md §6.2: GET /api/v1/recover/verify answers the HTML error page with 503 when the database is unavailable",
    matches: (ex) =>
      ex.status === 503 &&
      ex.spec.path.startsWith("/api/v1/recover/verify") &&
      ex.body.includes("Service temporarily unavailable"),
  },
  {
    reason:
      "platform.md §3 / src/features/billing: the Stripe webhook answers plain-text 503 'service unavailable' (Stripe retries)",
    matches: (ex) =>
      ex.status === 503 && ex.spec.path.startsWith("/api/v1/billing/") && ex.body === "service unavailable\n",
  },
];

const code = z.number().int();
/** Every error body shape of platform.md §0.2 and the routes' own (README "Every error is JSON"). */
const ERROR_SHAPES = {
  A: z.strictObject({ error: z.strictObject({ code, message: z.string().min(1) }) }),
  policyApi: z.strictObject({
    error: z.strictObject({
      code: z.string().regex(/^[A-Z_]+$/),
      message: z.string().min(1),
      details: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    }),
  }),
  B: z.looseObject({ success: z.literal(false), error: z.string(), blocked: z.boolean() }),
  /** /api/request blocked: shape B with the block. */
  gatewayBlocked: z.looseObject({ success: z.literal(false), blocked: z.literal(true), block_reason: z.string() }),
  O: z.strictObject({ success: z.literal(false), error: z.string().min(1) }),
  orchestrator: z.strictObject({
    request_id: z.string(),
    success: z.literal(false),
    error: z.string().min(1),
    redacted: z.boolean(),
    policy_info: z.null(),
    provider_info: z.null(),
    processing_time: z.string(),
  }),
  envelope: z.looseObject({
    error: z.string(),
    limit_type: z.string(),
    tier: z.string(),
    limit: code,
    remaining: code,
    upgrade: z.looseObject({ tier: z.string(), wording: z.string(), compare_url: z.string(), buy_url: z.string() }),
  }),
  oauth: z.strictObject({ error: z.literal("oauth_not_supported"), error_description: z.string() }),
  rpcError: z.strictObject({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number(), z.null()]),
    error: z.strictObject({ code, message: z.string().min(1) }),
  }),
  rpcLimit: z.strictObject({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number(), z.null()]),
    result: z.strictObject({
      content: z.tuple([z.strictObject({ type: z.literal("text"), text: z.string() })]),
      isError: z.literal(true),
    }),
  }),
  /** check-input / check-output deny with 403 and the same body as an allow. */
  checkBlocked: z.looseObject({ allowed: z.literal(false), decision_id: z.string(), policies_evaluated: code }),
} as const;

/** Stack frames, source locations, error-class prefixes, file paths and driver internals. */
const LEAK_PATTERNS: Array<[string, RegExp]> = [
  ["stack frame", /\bat (?:async )?[\w$.<>[\]]+ \(|\n\s+at\s/],
  ["source location", /\.(?:m?[jt]sx?|c\+\+):\d+/],
  ["error class prefix", /\b(?:[A-Z][A-Za-z]*)?Error: /],
  ["file path", /(?:^|[\s"'(=])(?:\/(?:work|home|usr|tmp|var|app|src|node_modules)\/|file:\/\/|[A-Z]:\\)/],
  ["node_modules", /node_modules/],
  ["SQLSTATE", /SQLSTATE|\bduplicate key value\b|\bsyntax error at or near\b|\binvalid input syntax\b/],
  [
    "internal error",
    /Internal server error|Maximum call stack|RangeError|TypeError|undefined is not|Cannot read propert/,
  ],
];

/** Strings no response and no log line may contain, whatever was sent. */
export function fixedSecrets(): string[] {
  const e = env as unknown as Record<string, string | undefined>;
  return [
    TEST_PEPPER,
    STRIPE_TEST_SECRET,
    e.AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY,
    e.STRIPE_SECRET_KEY,
    e.RESEND_API_KEY && e.RESEND_API_KEY.length >= 6 ? e.RESEND_API_KEY : undefined,
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
}

/** What a response may legitimately be besides JSON: the docs page and the recovery pages (HTML), webhook errors (text). */
function nonJsonAllowed(ex: Exchange, contentType: string): boolean {
  const path = ex.spec.path.split("?")[0] ?? "";
  if (contentType.startsWith("text/html")) return path === "/docs" || path === "/api/v1/recover/verify";
  if (contentType.startsWith("text/plain")) return path.startsWith("/api/v1/billing/");
  return false;
}

const EMPTY_OK = new Set([202, 204, 304]);

/** Every property one exchange must have; returns the problems found (empty = fine). */
export function problemsOf(ex: Exchange, pool: Pool): string[] {
  const problems: string[] = [];
  const contentType = (ex.headers.get("Content-Type") ?? "").toLowerCase();
  const method = ex.spec.method.toUpperCase();
  let json: unknown;
  let parsed = false;
  if (ex.body !== "") {
    try {
      json = JSON.parse(ex.body);
      parsed = true;
    } catch {
      parsed = false;
    }
  }

  // 1. No 5xx but the documented ones.
  if (ex.status >= 500) {
    const twin = ex.getTwin;
    const allowed = twin
      ? twin.status === ex.status && ALLOWED_5XX.some((a) => a.matches(twin, parseOrUndefined(twin.body)))
      : ALLOWED_5XX.some((a) => a.matches(ex, json));
    if (!allowed)
      problems.push(
        `status ${ex.status} is not an allowed 5xx${twin ? ` (as GET: ${twin.status} ${twin.body.slice(0, 200)})` : ""}`,
      );
  }

  // 2. The body: empty only where that is the answer; else JSON of a known error shape for errors.
  if (method !== "HEAD" && !EMPTY_OK.has(ex.status)) {
    if (ex.body === "") {
      // MCP DELETE (session ended) answers 200 with no body.
      if (!(ex.status === 200 && method === "DELETE")) problems.push("empty body");
    } else if (contentType.startsWith("application/json")) {
      if (!parsed) problems.push("Content-Type says JSON but the body does not parse");
      else if (ex.status >= 400 && !Object.values(ERROR_SHAPES).some((shape) => shape.safeParse(json).success)) {
        problems.push("error body matches no documented error shape");
      } else if (ex.status >= 400) {
        const a = ERROR_SHAPES.A.safeParse(json);
        if (a.success && a.data.error.code !== ex.status) problems.push("shape A code differs from the HTTP status");
      }
    } else if (!nonJsonAllowed(ex, contentType)) {
      problems.push(`unexpected Content-Type ${JSON.stringify(contentType)}`);
    }
  }
  if (ex.status >= 400 && method === "HEAD" && ex.body !== "") problems.push("HEAD answer has a body");

  // 3. No stack traces or internals (the OpenAPI document and the docs page describe the API, not errors).
  const path = ex.spec.path.split("?")[0];
  if (!(ex.status === 200 && (path === "/openapi.json" || path === "/docs"))) {
    for (const [what, pattern] of LEAK_PATTERNS) {
      if (pattern.test(ex.body)) problems.push(`body shows a ${what}: ${excerpt(ex.body, pattern)}`);
    }
  }

  // 4. No secret, token or claimed email in the body or headers.
  const headerText = [...ex.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
  const forbidden = [
    ...fixedSecrets(),
    ...pool.tenants.flatMap((t) => [t.secret, t.authorization.slice(6), ...(t.license ? [t.license] : [])]),
    ...ex.sentSecrets,
  ].filter((s) => s !== ex.mintedSecret);
  for (const secret of forbidden) {
    if (ex.body.includes(secret) || headerText.includes(secret))
      problems.push(`response contains a secret (${mask(secret)})`);
  }
  const lowerBody = ex.body.toLowerCase();
  for (const email of pool.bodyEmails) {
    if (lowerBody.includes(email)) problems.push(`response contains the claimed email ${mask(email)}`);
  }
  return problems;
}

/**
 * An MCP tool result: one text block, JSON unless `isError`, and no stack trace or internals in
 * the text (decoded: in the raw body its newlines are escaped).
 */
export function toolTextProblems(result: Record<string, unknown>): string[] {
  const content = result.content as Array<{ type?: unknown; text?: unknown }>;
  const block = content[0];
  if (content.length !== 1 || block?.type !== "text" || typeof block.text !== "string") {
    return ["tool result is not one text block"];
  }
  const problems: string[] = [];
  if (result.isError !== undefined && result.isError !== true) problems.push("isError present but not true");
  if (result.isError !== true) {
    try {
      JSON.parse(block.text);
    } catch {
      problems.push("tool result text is not JSON");
    }
  }
  for (const [what, pattern] of LEAK_PATTERNS) {
    if (pattern.test(block.text)) problems.push(`tool text shows a ${what}: ${excerpt(block.text, pattern)}`);
  }
  return problems;
}

/** Log lines must carry no secret, no token and no full email that any request carried. */
export function logProblems(
  lines: readonly string[],
  forbidden: ReadonlySet<string>,
  emails: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    for (const secret of forbidden)
      if (line.includes(secret)) problems.push(`log line contains a secret (${mask(secret)}): ${line.slice(0, 300)}`);
    const lower = line.toLowerCase();
    for (const email of emails)
      if (lower.includes(email)) problems.push(`log line contains the email ${email}: ${line.slice(0, 300)}`);
    for (const [what, pattern] of LEAK_PATTERNS.slice(0, 2)) {
      if (pattern.test(line)) problems.push(`log line shows a ${what}: ${line.slice(0, 300)}`);
    }
    if (line.includes('"event":"unhandled_error"')) problems.push(`unhandled error logged: ${line.slice(0, 300)}`);
    // Class 22 is Postgres refusing a value (NUL bytes, out-of-range numbers, bad text): input that
    // reached the database unvalidated, whatever status the request then got.
    if (/SQLSTATE 22[0-9A-Z]{3}/.test(line)) problems.push(`input reached Postgres unvalidated: ${line.slice(0, 300)}`);
  }
  return problems;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const mask = (secret: string) => `${secret.slice(0, 4)}…(${secret.length} chars)`;

function excerpt(text: string, pattern: RegExp): string {
  const at = text.search(pattern);
  return JSON.stringify(text.slice(Math.max(0, at - 60), at + 100));
}

/** A compact description of a spec for failure messages (long values cut). */
export function describeSpec(spec: RequestSpec): string {
  return JSON.stringify(spec, (_key, value: unknown) =>
    typeof value === "string" && value.length > 200 ? `${value.slice(0, 200)}…(${value.length} chars)` : value,
  );
}

// ---- running properties ----

export interface FuzzContext {
  pool: Pool;
  logs: LogCapture;
  /** Everything sent so far that must never be logged. */
  forbiddenInLogs: Set<string>;
  emailsSent: Set<string>;
  /** Per-status counts, for the budget and coverage report. */
  statuses: Map<number, number>;
  requests: number;
  /** Each exchange's duration, for tuning the run counts against the suite's time budget. */
  timings: Array<{ ms: number; what: string }>;
}

export function createContext(pool: Pool, logs: LogCapture): FuzzContext {
  const forbiddenInLogs = new Set<string>(fixedSecrets());
  for (const t of pool.tenants) {
    forbiddenInLogs.add(t.secret);
    forbiddenInLogs.add(t.authorization.slice(6));
    if (t.license) forbiddenInLogs.add(t.license);
  }
  const emailsSent = new Set<string>([...pool.bodyEmails, ...pool.headerEmails]);
  return { pool, logs, forbiddenInLogs, emailsSent, statuses: new Map(), requests: 0, timings: [] };
}

/**
 * Sends the specs concurrently and checks every exchange, the request log lines that must match
 * them, and every log line written so far. Throws (for fast-check) with all problems found.
 */
export async function exchangeAll(
  ctx: FuzzContext,
  specs: readonly RequestSpec[],
  extraChecks: (ex: Exchange) => string[] = () => [],
): Promise<Exchange[]> {
  const linesBefore = ctx.logs.lines.length;
  const exchanges = await Promise.all(specs.map((spec) => send(spec, ctx.pool)));
  // A HEAD answer has no body to match against the allowed 5xx: the same request as GET must give
  // the same status with an allowed body.
  const heads = exchanges.filter((ex) => ex.spec.method.toUpperCase() === "HEAD" && ex.status >= 500);
  const gets = await Promise.all(heads.map((ex) => send({ ...ex.spec, method: "GET" }, ctx.pool)));
  heads.forEach((head, i) => {
    head.getTwin = gets[i];
  });
  exchanges.push(...gets);
  const problems: string[] = [];
  const requestLines = ctx.logs.requestLines();
  for (const ex of exchanges) {
    ctx.requests++;
    ctx.statuses.set(ex.status, (ctx.statuses.get(ex.status) ?? 0) + 1);
    ctx.timings.push({
      ms: ex.ms,
      what: `${ex.spec.method} ${ex.spec.path.slice(0, 80)} ${ex.spec.auth.kind} ${ex.status}`,
    });
    for (const secret of ex.sentSecrets) ctx.forbiddenInLogs.add(secret);
    if (ex.mintedSecret) ctx.forbiddenInLogs.add(ex.mintedSecret);
    for (const email of ex.sentEmails) ctx.emailsSent.add(email);
    const found = [...problemsOf(ex, ctx.pool), ...extraChecks(ex)];
    const id = ex.headers.get("X-Request-Id");
    const lines = id ? requestLines.get(id) : undefined;
    if (!lines?.some((line) => line.includes(`"status":${ex.status},`))) {
      found.push(`no captured "event":"request" log line for X-Request-Id ${id} with status ${ex.status}`);
    }
    if (found.length > 0) {
      problems.push(
        `${ex.spec.method} ${ex.spec.path.slice(0, 200)} → ${ex.status} ${ex.body.slice(0, 300)}\n  spec: ${describeSpec(ex.spec)}\n  - ${found.join("\n  - ")}`,
      );
    }
  }
  problems.push(...logProblems(ctx.logs.lines.slice(linesBefore), ctx.forbiddenInLogs, ctx.emailsSent));
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return exchanges;
}

/**
 * Runs a property with the fixed seed; a failure throws with the seed, the shrunk counterexample
 * and every problem the oracle found for it.
 */
export async function assertProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<Ts>,
  numRuns: number,
): Promise<void> {
  const details = await fc.check(property, { seed: FUZZ_SEED, numRuns: numRuns * FUZZ_SCALE });
  if (!details.failed) return;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  if (FUZZ_REPORT)
    print(`FUZZ FAILURE (seed ${FUZZ_SEED}, path ${details.counterexamplePath}):\n${error.slice(0, 6_000)}`);
  throw new Error(
    `fuzz property failed (FUZZ_SEED=${FUZZ_SEED}, numRuns=${numRuns}, path=${details.counterexamplePath}); ` +
      `the same seed replays it.\n${error}\n\nshrunk ${details.numShrinks} time(s); counterexample: ${JSON.stringify(details.counterexample, (_k, v: unknown) => (typeof v === "string" && v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v)).slice(0, 4_000)}`,
  );
}
