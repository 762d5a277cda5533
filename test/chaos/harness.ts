/**
 * The chaos tests' machinery, in Node: the faultable stack (scripts/chaos-stack.mjs, a child
 * process), both Workers built as `npm run build:check` builds them and run in one Miniflare, the
 * Workers' log lines, HTTP helpers with timings, and a Postgres query helper. Every wait here has a
 * bound; every child is stopped by its pid.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { Log, LogLevel, Miniflare } from "miniflare";
import pg from "pg";
import Stripe from "stripe";
import { unstable_getDurableObjectClassNameToUseSQLiteMap, unstable_readConfig } from "wrangler";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const execFileAsync = promisify(execFile);

/** Rejects after `ms`, naming `what`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or throws past `ms`. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>, everyMs = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The faultable stack

export interface StackInfo {
  superuserUrl: string;
  appRoleUrl: string;
  platformAdminUrl: string;
  wsProxy: string;
  mailUrl: string;
  postmaster: number | null;
}

export type StackCommand = "pg:stop" | "pg:start" | "pg:freeze" | "pg:thaw" | "mail:stop" | "mail:start" | "status";

export class ChaosStack {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  #nextId = 0;
  info!: StackInfo;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts the stack in `dir`, which it removes when it stops (however it stops). */
  static async start(dir: string): Promise<ChaosStack> {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/chaos-stack.mjs"), "--dir", dir], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const stack = new ChaosStack(child);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const ready = new Promise<StackInfo>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`chaos-stack exited (${code}) before it was ready`)));
      lines.on("line", (line) => {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return; // not the protocol (nothing else should print there)
        }
        if (message.ready) resolve(message as unknown as StackInfo);
        else stack.#waiting.get(Number(message.id))?.(message);
      });
    });
    try {
      stack.info = await within(ready, 90_000, "chaos-stack start");
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  /** One command; throws if the stack reports a failure. */
  async command(cmd: StackCommand, timeoutMs = 40_000): Promise<Record<string, unknown>> {
    const id = ++this.#nextId;
    const reply = new Promise<Record<string, unknown>>((resolve) => this.#waiting.set(id, resolve));
    this.#child.stdin?.write(`${JSON.stringify({ id, cmd })}\n`);
    try {
      const answer = await within(reply, timeoutMs, `chaos-stack ${cmd}`);
      if (!answer.ok) throw new Error(`chaos-stack ${cmd}: ${String(answer.error)}`);
      return answer;
    } finally {
      this.#waiting.delete(id);
    }
  }

  /** Closing stdin makes the stack thaw, stop everything and remove its directory; SIGKILL past 30 s. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin?.end();
    try {
      await within(exited, 30_000, "chaos-stack shutdown");
    } catch {
      if (child.pid) process.kill(child.pid, "SIGTERM");
      await within(exited, 15_000, "chaos-stack SIGTERM").catch(() => {
        if (child.pid) process.kill(child.pid, "SIGKILL");
      });
    }
  }

  /** For exit paths: ask the stack to stop (it thaws and stops Postgres on SIGTERM). */
  terminateSync(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid) {
      try {
        process.kill(this.#child.pid, "SIGTERM");
      } catch {
        // gone
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The two Workers

export const PUBLIC_WORKER = "axonflow-edge";
export const BILLING_WORKER = "axonflow-edge-billing";
/** Requests to this host reach the billing Worker (its own route, as `<host>/api/v1/billing/*` in production). */
export const BILLING_HOST = "billing.chaos.test";
export const PUBLIC_HOST = "edge.chaos.test";

/** `wrangler deploy --dry-run --outdir <outDir> -c <config>` (what `npm run build:check` runs); the bundle's path. */
export async function buildBundle(config: string, outDir: string): Promise<string> {
  await execFileAsync(
    path.join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", outDir, "-c", config],
    {
      cwd: ROOT,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_HIDE_BANNER: "true",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    },
  );
  const scripts = (await readdir(outDir)).filter((name) => name.endsWith(".js"));
  if (scripts.length !== 1) throw new Error(`${config}: expected one bundle in ${outDir}, found ${scripts.join(", ")}`);
  return path.join(outDir, scripts[0] as string);
}

/** Keys, secrets and peppers generated per run (never written anywhere). */
export interface RunSecrets {
  pepper: string;
  deletePepper: string;
  webhookSecret: string;
  signingKey: string;
  publicKey: string;
}

export function runSecrets(): RunSecrets {
  const keys = generateKeyPairSync("ed25519");
  return {
    pepper: randomBytes(24).toString("hex"),
    deletePepper: randomBytes(24).toString("hex"),
    webhookSecret: `whsec_${randomBytes(24).toString("hex")}`,
    signingKey: keys.privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32).toString("base64"),
    publicKey: keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64"),
  };
}

/** One JSON log line of a Worker (src/http/log.ts), or the raw text. */
export interface LogLine {
  event?: string;
  level?: string;
  [field: string]: unknown;
}

/** Every line workerd printed, parsed where it is one of the Workers' JSON log lines. */
export class LogBook {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  /** CHAOS_WORKER_LOG=<file> keeps every line workerd printed, for a post-mortem. */
  readonly #file = process.env.CHAOS_WORKER_LOG ? createWriteStream(process.env.CHAOS_WORKER_LOG) : undefined;

  attach(stream: NodeJS.ReadableStream): void {
    createInterface({ input: stream }).on("line", (line) => {
      this.#file?.write(`${line}\n`);
      this.raw.push(line);
      if (this.raw.length > 5_000) this.raw.splice(0, 1_000);
      const start = line.indexOf("{");
      if (start < 0) return;
      try {
        this.lines.push(JSON.parse(line.slice(start)) as LogLine);
      } catch {
        // not one of ours
      }
    });
  }

  count(event: string, match: (line: LogLine) => boolean = () => true): number {
    return this.lines.filter((line) => line.event === event && match(line)).length;
  }

  waitFor(event: string, match: (line: LogLine) => boolean, ms: number): Promise<LogLine> {
    return eventually(`log line ${event}`, ms, async () =>
      this.lines.find((line) => line.event === event && match(line)),
    );
  }

  /** The last lines, for a failure report. */
  tail(n = 40): string {
    return this.raw.slice(-n).join("\n");
  }
}

type WranglerConfig = ReturnType<typeof unstable_readConfig>;

export interface WorkerSettings {
  stack: StackInfo;
  secrets: RunSecrets;
  publicBundle: string;
  billingBundle: string;
  /** Variables for both Workers (on top of the configs' [vars]). */
  vars: Record<string, string>;
  logs: LogBook;
}

/**
 * Both Workers in one Miniflare, configured from wrangler.toml / wrangler.billing.toml as read at
 * run time: compatibility date and flags, [vars], Durable Objects (SQLite per the migrations; the
 * billing Worker's by script_name), and service bindings to each other (`[[services]]`).
 */
const readConfig = (config: string) => unstable_readConfig({ config: path.join(ROOT, config) }, { hideWarnings: true });

/** Binding names of the public Worker's `[[services]]` (e.g. BILLING), as wrangler.toml says now. */
export function publicServiceBindings(): string[] {
  return (readConfig("wrangler.toml").services ?? []).map((service: { binding: string }) => service.binding);
}

export async function startWorkers(settings: WorkerSettings): Promise<Miniflare> {
  const publicConfig = readConfig("wrangler.toml");
  const billingConfig = readConfig("wrangler.billing.toml");
  const sqlite = unstable_getDurableObjectClassNameToUseSQLiteMap(publicConfig.migrations);
  const names = new Set([publicConfig.name, billingConfig.name]);
  if (publicConfig.name !== PUBLIC_WORKER || billingConfig.name !== BILLING_WORKER) {
    throw new Error(`unexpected Worker names ${[...names].join(", ")}`);
  }

  const common = {
    AXONFLOW_DB_APP_ROLE_URL: settings.stack.appRoleUrl,
    NEON_WS_PROXY: settings.stack.wsProxy,
    AXONFLOW_SECRET_PEPPER: settings.secrets.pepper,
    AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY: settings.secrets.publicKey,
    RESEND_API_KEY: "re_chaos",
    RESEND_BASE_URL: settings.stack.mailUrl,
    AXONFLOW_EXPOSE_REQUEST_COST: "true",
    ...settings.vars,
  };
  const worker = (config: WranglerConfig, bundle: string, bindings: Record<string, string>) => {
    const durableObjects: Record<string, { className: string; scriptName?: string; useSQLite?: boolean }> = {};
    for (const binding of config.durable_objects.bindings) {
      durableObjects[binding.name] = {
        className: binding.class_name,
        useSQLite: sqlite.get(binding.class_name) ?? false,
        ...(binding.script_name ? { scriptName: binding.script_name } : {}),
      };
    }
    const serviceBindings: Record<string, { name: string; entrypoint?: string }> = {};
    for (const service of config.services ?? []) {
      if (!names.has(service.service)) throw new Error(`${config.name}: service ${service.service} is not run here`);
      serviceBindings[service.binding] = {
        name: service.service,
        ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
      };
    }
    return {
      name: config.name,
      modulesRoot: path.dirname(bundle),
      modules: [{ type: "ESModule" as const, path: bundle }],
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      bindings: { ...(config.vars as Record<string, string>), ...bindings },
      durableObjects,
      serviceBindings,
    };
  };

  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    // No request.cf download: nothing leaves 127.0.0.1.
    cf: false,
    log: new Log(LogLevel.WARN),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      settings.logs.attach(stdout);
      settings.logs.attach(stderr);
    },
    workers: [
      // First: requests for any other host land here.
      worker(publicConfig, settings.publicBundle, common),
      {
        ...worker(billingConfig, settings.billingBundle, {
          ...common,
          AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY: settings.secrets.signingKey,
          STRIPE_WEBHOOK_SIGNING_SECRET: settings.secrets.webhookSecret,
          AXONFLOW_STRIPE_WEBHOOK_IP_ALLOWLIST: "127.0.0.0/8",
          // The limiter is not under test; 50 concurrent deliveries come from one address.
          AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN: "0",
        }),
        routes: [`${BILLING_HOST}/*`],
      },
    ],
  });
  try {
    await within(mf.ready, 60_000, "miniflare start");
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${settings.logs.tail()}`);
  }
  return mf;
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Reply {
  status: number;
  ms: number;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  contentType: string;
  /** Durable Object calls before the answer (X-Axonflow-Request-Cost `do=`). */
  doCalls: number;
}

let ipCounter = 0;
/** A fresh loopback address per call site that needs one (per-IP budgets never couple requests). */
export function freshIp(): string {
  const n = ++ipCounter;
  return `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

export class Edge {
  constructor(readonly mf: Miniflare) {}

  async #send(host: string, pathname: string, init: RequestInit & { ip?: string }): Promise<Reply> {
    const headers = new Headers(init.headers);
    if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", init.ip ?? "127.0.0.1");
    const started = performance.now();
    const response = await within(
      this.mf.dispatchFetch(`http://${host}${pathname}`, {
        method: init.method,
        body: init.body as string | undefined,
        headers: Object.fromEntries(headers),
      }),
      60_000,
      `${init.method ?? "GET"} ${pathname}`,
    );
    const text = await response.text();
    const ms = performance.now() - started;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const cost = /do=(\d+)/.exec(response.headers.get("X-Axonflow-Request-Cost") ?? "");
    return {
      status: response.status,
      ms,
      text,
      json,
      contentType: response.headers.get("Content-Type") ?? "",
      doCalls: cost ? Number(cost[1]) : 0,
    };
  }

  public(pathname: string, init: RequestInit & { ip?: string } = {}): Promise<Reply> {
    return this.#send(PUBLIC_HOST, pathname, init);
  }

  billing(pathname: string, init: RequestInit & { ip?: string } = {}): Promise<Reply> {
    return this.#send(BILLING_HOST, pathname, init);
  }
}

export const basic = (tenantId: string, secret: string) =>
  `Basic ${Buffer.from(`${tenantId}:${secret}`).toString("base64")}`;

/** A signed webhook delivery: the same payload and a fresh signature each time (as Stripe retries). */
export async function signedDelivery(payload: string, secret: string): Promise<RequestInit> {
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return {
    method: "POST",
    headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
    body: payload,
  };
}

// ---------------------------------------------------------------------------------------------
// Postgres, as the superuser (counting rows under the Worker's feet)

export async function query<Row extends Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query<Row>(text, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}
