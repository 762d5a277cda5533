/**
 * Postgres access for one request (or one cron run). workerd forbids sharing I/O objects between
 * requests, so each request opens its own connection lazily and closes it when the response and
 * its background work are done. The driver is the Neon serverless driver in every environment;
 * locally `NEON_WS_PROXY` points it at the WebSocket proxy in front of embedded Postgres.
 */
import { Client } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { withTimeout } from "../time";
import * as schema from "./schema";

export type Orm = NeonDatabase<typeof schema>;
/** What scoped callbacks receive: the drizzle handle of the open transaction. */
export type Tx = Parameters<Parameters<Orm["transaction"]>[0]>[0];

export interface ConnectionOptions {
  url: string;
  /** `host:port` of a local WebSocket proxy (dev and tests only). */
  wsProxy?: string;
  /** Bound on connecting, on each statement and on closing (AXONFLOW_DB_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Postgres did not answer within the bound: the connection is abandoned, the caller fails closed. */
export class DatabaseTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`postgres ${what} took longer than ${ms} ms`);
    this.name = "DatabaseTimeout";
  }
}

/** The connection failed or broke (refused, reset, terminated): nothing Postgres itself reported. */
export class DatabaseUnreachable extends Error {
  constructor(cause: unknown) {
    super(`postgres unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "DatabaseUnreachable";
  }
}

/**
 * Whether `error` (or its cause: drizzle wraps query errors) means Postgres is out of reach rather
 * than that a statement failed: a bound hit, a broken connection, or the server shutting down or
 * refusing connections (SQLSTATE classes 08 and 57P). Callers answer 503, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof DatabaseTimeout || current instanceof DatabaseUnreachable) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("08") || code.startsWith("57P"))) return true;
  }
  return false;
}

/** A driver rejection that is no server error report (those carry a severity) is a transport failure. */
function transportFailure(error: unknown): unknown {
  if (error instanceof DatabaseTimeout || error instanceof DatabaseUnreachable) return error;
  const severity = (error as { severity?: unknown } | null)?.severity;
  return typeof severity === "string" ? error : new DatabaseUnreachable(error);
}

export const DEFAULT_DB_TIMEOUT_MS = 5_000;

/** A `\u0000` escape in JSON text (an even run of backslashes before it, so not `\\u0000`). */
const JSON_NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * One statement parameter as Postgres can take it. Text cannot hold U+0000 (SQLSTATE 22021) and
 * jsonb refuses the `\u0000` escape (22P05), so a NUL anywhere in a request — a path id, a query
 * filter, a tool name headed for the audit outbox, a Basic user name — would otherwise end in a
 * 500, a 503 or an outbox that never flushes. NUL becomes U+FFFD (what TextEncoder already writes
 * for a lone surrogate), in JSON text too, so a lookup with a NUL finds what a write with the same
 * NUL stored. Other values pass unchanged.
 */
export function postgresSafe(value: unknown): unknown {
  if (typeof value === "string") {
    let text = value.includes("\0") ? value.replaceAll("\0", "\ufffd") : value;
    if (text.includes("\\u0000") && isJsonText(text)) text = text.replace(JSON_NUL_ESCAPE, "$1\\ufffd");
    return text;
  }
  return Array.isArray(value) ? value.map(postgresSafe) : value;
}

function isJsonText(text: string): boolean {
  if (!/^\s*["[{]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** `client.query`'s arguments with every parameter made safe: `(text | config, values?)`, values possibly in the config. */
function safeQueryArgs(args: unknown[]): unknown[] {
  const [first, values, ...rest] = args;
  const config =
    typeof first === "object" && first !== null && Array.isArray((first as { values?: unknown }).values)
      ? { ...first, values: (first as { values: unknown[] }).values.map(postgresSafe) }
      : first;
  return Array.isArray(values) ? [config, values.map(postgresSafe), ...rest] : [config, ...args.slice(1)];
}

export class Database {
  readonly #options: ConnectionOptions;
  #client: Promise<Client> | undefined;
  #orm: Promise<Orm> | undefined;
  readonly #background = new Set<Promise<unknown>>();
  #queries = 0;
  #unboundedQuery: ((text: string, params: unknown[]) => Promise<{ rows: unknown[] }>) | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
  }

  /** Number of statements sent on this connection (tests and the bench use it to prove the hot path). */
  get queryCount(): number {
    return this.#queries;
  }

  /**
   * `promise`, or a DatabaseTimeout after the bound; a transport failure becomes DatabaseUnreachable.
   * A frozen or unreachable server must never hold a request (and everything queued behind it) for
   * longer; the driver has no such bound of its own on the WebSocket path, hence the race.
   */
  #bounded<T>(what: string, promise: Promise<T>, ms = this.#options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS): Promise<T> {
    return withTimeout(promise, ms, () => {
      throw new DatabaseTimeout(what, ms);
    }).catch((error: unknown) => {
      throw transportFailure(error);
    });
  }

  async #connect(): Promise<Client> {
    const client = new Client({ connectionString: this.#options.url });
    const proxy = this.#options.wsProxy;
    if (proxy) {
      client.neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
      client.neonConfig.useSecureWebSocket = false;
      client.neonConfig.pipelineTLS = false;
      client.neonConfig.pipelineConnect = false;
    }
    // An idle socket closed when the request ends surfaces as an 'error' event; without a
    // listener it would be an uncaught exception.
    client.on("error", () => {});
    const query = client.query.bind(client);
    this.#unboundedQuery = (text, params) => query(text, params.map(postgresSafe));
    client.query = ((...args: unknown[]) => {
      this.#queries++;
      const result = (query as (...a: unknown[]) => unknown)(...safeQueryArgs(args));
      return result instanceof Promise ? this.#bounded("statement", result) : result;
    }) as typeof client.query;
    try {
      await this.#bounded("connect", client.connect());
    } catch (error) {
      void client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  client(): Promise<Client> {
    this.#client ??= this.#connect();
    return this.#client;
  }

  orm(): Promise<Orm> {
    this.#orm ??= this.client().then((client) => drizzle({ client, schema }));
    return this.#orm;
  }

  /**
   * Runs one statement outside any transaction (SECURITY DEFINER calls, guard checks). `timeoutMs`
   * replaces the connection's bound for statements known to take longer (an erasure).
   */
  async query<Row extends Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
    timeoutMs?: number,
  ): Promise<Row[]> {
    const client = await this.client();
    if (timeoutMs === undefined || !this.#unboundedQuery) return (await client.query(text, params)).rows as Row[];
    this.#queries++;
    return (await this.#bounded("statement", this.#unboundedQuery(text, params), timeoutMs)).rows as Row[];
  }

  /** Work that may finish after the response (e.g. activity updates); close() waits for it. */
  background(task: () => Promise<unknown>): void {
    const promise = task().catch(() => {});
    this.#background.add(promise);
    void promise.finally(() => this.#background.delete(promise));
  }

  async close(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
    const pending = this.#client;
    this.#client = undefined;
    this.#orm = undefined;
    if (pending)
      await this.#bounded(
        "close",
        pending.then((client) => client.end()),
      ).catch(() => {});
  }
}
