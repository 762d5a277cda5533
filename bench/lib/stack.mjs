// The local stack of scripts/dev.mjs as a child of the benchmark, with a state directory and
// ports of its own so it runs beside a developer's `npm run dev`. Its output goes to a log file.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

export const STACK_PORT = 18787;

const STACK_ENV = {
  DEV_STATE_DIR: ".dev/bench",
  PORT: String(STACK_PORT),
  PGPORT: "17432",
  WSPROXY_PORT: "17433",
  MAIL_PORT: "18025",
  AXONFLOW_EXPOSE_REQUEST_COST: "true",
  // The tier and pre-auth per-minute limits would otherwise turn most measured requests into 429s.
  COMMUNITY_SAAS_MINUTE_LIMIT: "1000000",
  COMMUNITY_SAAS_MINUTE_LIMIT_FREE: "1000000",
  COMMUNITY_SAAS_MINUTE_LIMIT_PRO: "1000000",
  // Pro licenses are bought through the webhook, many from one address.
  AXONFLOW_STRIPE_WEBHOOK_RATE_PER_MIN: "0",
};

const READY_LINE = "[dev] ready";
const STOP_GRACE_MS = 20_000;

/**
 * Starts the stack. Returns at once so the caller can register `stop` before waiting on `ready`,
 * which resolves when the Worker serves and rejects (with the log's tail) if the stack exits or
 * does not come up within `readyTimeoutMs`. `onLine` sees every line of the stack's output.
 */
export function launchStack({ root, logFile, readyTimeoutMs, onLine }) {
  const log = createWriteStream(logFile);
  // Own process group: one signal reaches dev.mjs and Postgres; dev.mjs stops wrangler's group.
  const child = spawn(process.execPath, ["scripts/dev.mjs"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...STACK_ENV },
  });
  // "close", not "exit": no output may arrive after the log is ended.
  const exited = new Promise((resolve) => child.once("close", resolve));
  let tail = "";
  let markReady;
  const sawReady = new Promise((resolve) => {
    markReady = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      log.write(chunk);
      tail = (tail + chunk).slice(-8000); // what an error message needs
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      for (const line of lines) {
        if (line.startsWith(READY_LINE)) markReady();
        onLine(line);
      }
    });
  }

  let timer;
  const ready = Promise.race([
    sawReady,
    exited.then(() => {
      const last = tail.trim().split("\n").slice(-8);
      throw new Error(
        `the stack exited before it was ready; last output:\n${last.map((l) => l.slice(0, 200)).join("\n")}`,
      );
    }),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the stack was not ready within ${readyTimeoutMs / 1000} s (log: ${logFile})`)),
        readyTimeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  ready.catch(() => {}); // callers that stop before awaiting must not see an unhandled rejection

  let stopping;
  /** SIGINT to the group (dev.mjs then stops wrangler and Postgres) and waits for the exit. */
  function stop() {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(child.pid, "SIGINT");
        const killer = setTimeout(() => {
          // dev.mjs hung: its next run stops the wrangler it leaves behind (pids.json).
          process.stderr.write(`[bench] the stack did not stop within ${STOP_GRACE_MS / 1000} s; killing it\n`);
          signalGroup(child.pid, "SIGKILL");
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      await new Promise((resolve) => log.end(resolve));
    })();
    return stopping;
  }

  return { url: `http://127.0.0.1:${STACK_PORT}`, ready, stop };
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
