/**
 * Postgres access for one request (or one cron run). workerd forbids sharing I/O objects between
 * requests, so each request opens its own connection lazily and closes it when the response and
 * its background work are done. The driver is the Neon serverless driver in every environment;
 * locally `NEON_WS_PROXY` points it at the WebSocket proxy in front of embedded Postgres.
 */
import { Client } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "./schema";

export type Orm = NeonDatabase<typeof schema>;
/** What scoped callbacks receive: the drizzle handle of the open transaction. */
export type Tx = Parameters<Parameters<Orm["transaction"]>[0]>[0];

export interface ConnectionOptions {
  url: string;
  /** `host:port` of a local WebSocket proxy (dev and tests only). */
  wsProxy?: string;
}

export class Database {
  readonly #options: ConnectionOptions;
  #client: Promise<Client> | undefined;
  #orm: Promise<Orm> | undefined;
  readonly #background = new Set<Promise<unknown>>();
  #queries = 0;

  constructor(options: ConnectionOptions) {
    this.#options = options;
  }

  /** Number of statements sent on this connection (tests and the bench use it to prove the hot path). */
  get queryCount(): number {
    return this.#queries;
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
    client.query = ((...args: unknown[]) => {
      this.#queries++;
      return (query as (...a: unknown[]) => unknown)(...args);
    }) as typeof client.query;
    await client.connect();
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

  /** Runs one statement outside any transaction (SECURITY DEFINER calls, guard checks). */
  async query<Row extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> {
    const client = await this.client();
    const result = await client.query(text, params);
    return result.rows as Row[];
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
    if (pending) await pending.then((client) => client.end()).catch(() => {});
  }
}
