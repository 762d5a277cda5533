// `npm run dev`: the whole local stack of local-dev.md in one foreground command — embedded
// Postgres (migrated), the WebSocket proxy for the Neon driver, the Resend-compatible mail sink
// and `wrangler dev --test-scheduled`. Ctrl-C / SIGTERM stops every child; a run that was killed
// uncleanly (kill -9) is cleaned up by the next one from the pids it recorded.
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDevVars, parseDevVars, withEnvOverrides } from "./dev-vars.mjs";
import { isAlive, startLocalDb } from "./local-db.mjs";
import { startMailSink } from "./mail-sink.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// DEV_STATE_DIR lets a second stack (e.g. the benchmark's) run beside the developer's.
const stateDir = path.resolve(root, process.env.DEV_STATE_DIR ?? ".dev");
const pidsFile = path.join(stateDir, "pids.json");
const port = Number(process.env.PORT ?? 8787);
const pgPort = Number(process.env.PGPORT ?? 15432);
const wsProxyPort = Number(process.env.WSPROXY_PORT ?? 15433);
const mailPort = Number(process.env.MAIL_PORT ?? 8025);

const say = (line) => console.log(`[dev] ${line}`);

/** Stops the wrangler process group an earlier, uncleanly killed run left behind. */
async function stopLeftovers() {
  let pids;
  try {
    pids = JSON.parse(await readFile(pidsFile, "utf8"));
  } catch {
    return;
  }
  const group = Number(pids.wranglerGroup);
  if (Number.isInteger(group) && group > 1 && isAlive(group)) {
    say(`stopping wrangler left running by an earlier run (process group ${group})`);
    try {
      process.kill(-group, "SIGTERM");
    } catch {
      // already gone
    }
    for (let i = 0; i < 50 && isAlive(group); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(group)) process.kill(-group, "SIGKILL");
  }
  await rm(pidsFile, { force: true });
}

await mkdir(stateDir, { recursive: true });
await stopLeftovers();

const devVarsPath = path.join(root, ".dev.vars");
if (await ensureDevVars(devVarsPath, path.join(root, ".dev.vars.example"))) {
  say("created .dev.vars with a fresh Ed25519 key pair and secret pepper");
}
const fileVars = parseDevVars(await readFile(devVarsPath, "utf8"));
// Variables added to the example after .dev.vars was created can be overridden too.
const exampleVars = parseDevVars(await readFile(path.join(root, ".dev.vars.example"), "utf8"));
const overrides = withEnvOverrides({ ...exampleVars, ...fileVars }, process.env);
for (const key of Object.keys(overrides)) say(`${key} overridden from the environment`);

const db = await startLocalDb({ dataDir: path.join(stateDir, "pg"), port: pgPort, proxyPort: wsProxyPort, log: say });
say(`postgres      postgres://postgres:postgres@127.0.0.1:${pgPort}/axonflow (migrated)`);
say(`ws proxy      ws://${db.wsProxy}/v1 (Neon driver → local Postgres)`);
const mail = await startMailSink({ port: mailPort });
say(`mail sink     http://127.0.0.1:${mail.port}/emails`);

const vars = {
  // Mail goes to this stack's sink unless the environment names another Resend endpoint.
  RESEND_BASE_URL: process.env.RESEND_BASE_URL ?? `http://127.0.0.1:${mail.port}`,
  ...overrides,
  AXONFLOW_DB_APP_ROLE_URL: db.appRoleUrl,
  AXONFLOW_DB_PLATFORM_ADMIN_URL: db.platformAdminUrl,
  NEON_WS_PROXY: db.wsProxy,
};

// The billing Worker runs in the same `wrangler dev` (a second -c), where the public Worker's BILLING
// binding reaches it. wrangler hands --var to the first Worker only, so the billing Worker gets a
// copy of its config in the state directory with a .dev.vars holding the same values.
const billingDir = path.join(stateDir, "billing-worker");
await mkdir(billingDir, { recursive: true });
const billingMain = path.relative(billingDir, path.join(root, "src", "billing-worker.ts"));
const billingToml = (await readFile(path.join(root, "wrangler.billing.toml"), "utf8")).replace(
  /^main = .*$/m,
  `main = ${JSON.stringify(billingMain)}`,
);
await writeFile(path.join(billingDir, "wrangler.toml"), billingToml);
const billingVars = { ...exampleVars, ...fileVars, ...vars };
await writeFile(
  path.join(billingDir, ".dev.vars"),
  Object.entries(billingVars)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}\n`)
    .join(""),
  { mode: 0o600 },
);

const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");
const args = [
  "dev",
  "-c",
  "wrangler.toml",
  "-c",
  path.join(billingDir, "wrangler.toml"),
  "--ip",
  "127.0.0.1",
  "--port",
  String(port),
  "--test-scheduled",
  "--show-interactive-dev-session=false",
];
for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
// Own process group, so stopping it stops workerd too, and a kill -9 of this script leaves a
// group the next run can find.
const wrangler = spawn(wranglerBin, args, {
  cwd: root,
  detached: true,
  stdio: ["ignore", "pipe", "pipe"],
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  },
});
await writeFile(pidsFile, JSON.stringify({ wranglerGroup: wrangler.pid }));

let announced = false;
const relay = (stream, out) => {
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    out.write(chunk);
    if (!announced && /Ready on/.test(chunk)) {
      announced = true;
      say(`worker        http://127.0.0.1:${port} (cron: /__scheduled?cron=0+*+*+*+*)`);
      say("ready — Ctrl-C stops everything");
    }
  });
};
relay(wrangler.stdout, process.stdout);
relay(wrangler.stderr, process.stderr);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  if (wrangler.exitCode === null && wrangler.signalCode === null) {
    const exited = new Promise((resolve) => wrangler.once("exit", resolve));
    try {
      process.kill(-wrangler.pid, "SIGINT");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-wrangler.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  await mail.close().catch(() => {});
  await db.stop().catch(() => {});
  await rm(pidsFile, { force: true });
  say("stopped");
  process.exit(code);
}

// `npm run dev` stopped with a signal to npm alone (not its process group) leaves this script
// orphaned: notice the parent going away and stop too.
const parent = process.ppid;
setInterval(() => {
  if (!isAlive(parent) || process.ppid !== parent) stop(0);
}, 1000).unref();

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
process.on("SIGHUP", () => stop(0));
wrangler.on("exit", (code) => {
  if (!stopping) {
    say(`wrangler exited (${code ?? "signal"})`);
    stop(code ?? 1);
  }
});
