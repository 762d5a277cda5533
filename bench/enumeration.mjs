// `npm run bench:enumeration`: shows that POST /api/v1/recover and
// POST /api/v1/tenant/{id}/delete-request reveal nothing about whether an email (or a tenant and
// email pair) exists. It starts its own local stack (bench/lib/stack.mjs), registers tenants with
// emails, then sends matched and unmatched requests in alternating order, each from a fresh
// loopback source address (both routes have per-IP budgets, and under wrangler dev
// CF-Connecting-IP is the TCP peer). It reports, per route and class, the distinct (status, body)
// answers and p50/p95/p99 latency, the p95 gap, and how many mails each class caused (read back
// from the stack's mail sink, so the matched requests provably took the full path). Loopback only.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchStack, STACK_PORT } from "./lib/stack.mjs";
import { request } from "./lib/tenants.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = path.join(root, "bench", "results");
const SAMPLES = Number(process.env.ENUMERATION_SAMPLES ?? 1000);
/** Recovery issues at most 5 links per email and hour; each matched email serves this many samples. */
const RECOVERIES_PER_EMAIL = 5;
const MAIL_PORT = 18025;
const READY_TIMEOUT_MS = 60_000;
const WATCHDOG_MS = 600_000;
const GAP_TARGET_MS = 3;

const say = (line) => console.log(`[enumeration] ${line}`);

// Source addresses from a random 127.a.0.0/16 block per run: the per-IP budgets live in Durable
// Object storage that outlasts the stack, so a fixed block would be spent by an earlier run.
const block = 1 + Math.floor(Math.random() * 254);
let nextAddress = 0;
function freshAddress() {
  const n = nextAddress++;
  return `127.${block}.${Math.floor(n / 250) % 256}.${1 + (n % 250)}`;
}

const json = (body) => ({ headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** Registers one tenant per email, five per source address (the registration budget). */
async function registerWithEmails(emails) {
  const tenants = [];
  let address = freshAddress();
  for (const [i, email] of emails.entries()) {
    if (i % 5 === 0) address = freshAddress();
    const res = await request(STACK_PORT, {
      method: "POST",
      path: "/api/v1/register",
      localAddress: address,
      ...json({ email }),
    });
    if (res.status !== 201) throw new Error(`register: HTTP ${res.status} ${res.body}`);
    tenants.push({ tenantId: JSON.parse(res.body).tenant_id, email });
  }
  return tenants;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarise(samples) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const answers = new Set(samples.map((s) => `${s.status} ${s.body}`));
  const round = (x) => Math.round(x * 100) / 100;
  return {
    samples: samples.length,
    answers: [...answers],
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    p99: round(percentile(ms, 99)),
    mean: round(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
}

async function timed(options) {
  const start = process.hrtime.bigint();
  const res = await request(STACK_PORT, options);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: res.status, body: res.body };
}

/** Sends SAMPLES pairs, alternating which class goes first; every request from a fresh address. */
async function measurePairs(makeMatched, makeUnmatched) {
  const matched = [];
  const unmatched = [];
  for (let i = 0; i < SAMPLES; i++) {
    const order = i % 2 === 0 ? ["m", "u"] : ["u", "m"];
    for (const kind of order) {
      const localAddress = freshAddress();
      if (kind === "m") matched.push(await timed({ ...makeMatched(i), localAddress }));
      else unmatched.push(await timed({ ...makeUnmatched(i), localAddress }));
    }
  }
  return { matched: summarise(matched), unmatched: summarise(unmatched) };
}

async function sinkMails() {
  const res = await fetch(`http://127.0.0.1:${MAIL_PORT}/emails`);
  return res.json();
}

async function main() {
  await mkdir(resultsDir, { recursive: true });
  const stack = launchStack({
    root,
    logFile: path.join(resultsDir, "enumeration-stack.log"),
    readyTimeoutMs: READY_TIMEOUT_MS,
    onLine: () => {},
  });
  const watchdog = setTimeout(() => {
    say(`watchdog: no result within ${WATCHDOG_MS / 1000} s; stopping`);
    void stack.stop().then(() => process.exit(1));
  }, WATCHDOG_MS);
  const stopAll = () => void stack.stop().then(() => process.exit(130));
  process.once("SIGINT", stopAll);
  process.once("SIGTERM", stopAll);
  try {
    await stack.ready;
    await fetch(`http://127.0.0.1:${MAIL_PORT}/emails`, { method: "DELETE" });
    const run = `${Date.now().toString(36)}${block}`;

    const recoveryEmails = Array.from(
      { length: Math.ceil(SAMPLES / RECOVERIES_PER_EMAIL) },
      (_, i) => `rec-${run}-${i}@bench.example.com`,
    );
    const deleteEmails = Array.from({ length: SAMPLES }, (_, i) => `del-${run}-${i}@bench.example.com`);
    say(`registering ${recoveryEmails.length + deleteEmails.length} tenants with emails`);
    await registerWithEmails(recoveryEmails);
    const deleteTenants = await registerWithEmails(deleteEmails);

    // Warm the isolate and both routes' code paths before measuring.
    for (let i = 0; i < 20; i++) {
      await request(STACK_PORT, {
        method: "POST",
        path: "/api/v1/recover",
        localAddress: freshAddress(),
        ...json({ email: `warm-${i}@bench.example.com` }),
      });
    }

    say(`recovery: ${SAMPLES} matched / ${SAMPLES} unmatched`);
    const recovery = await measurePairs(
      (i) => ({
        method: "POST",
        path: "/api/v1/recover",
        ...json({ email: recoveryEmails[Math.floor(i / RECOVERIES_PER_EMAIL)] }),
      }),
      (i) => ({ method: "POST", path: "/api/v1/recover", ...json({ email: `nobody-${run}-${i}@bench.example.com` }) }),
    );

    say(`delete-request: ${SAMPLES} matched / ${SAMPLES} unmatched (a real tenant, the wrong email)`);
    const deletion = await measurePairs(
      (i) => ({
        method: "POST",
        path: `/api/v1/tenant/${deleteTenants[i].tenantId}/delete-request`,
        ...json({ email: deleteTenants[i].email }),
      }),
      (i) => ({
        method: "POST",
        path: `/api/v1/tenant/${deleteTenants[(i + 1) % SAMPLES].tenantId}/delete-request`,
        ...json({ email: `wrong-${run}-${i}@bench.example.com` }),
      }),
    );

    // Mail goes out after the response; give the last ones a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const mails = await sinkMails();
    const countTo = (prefix) => mails.filter((m) => m.to.some((to) => to.startsWith(prefix))).length;
    const result = {
      at: new Date().toISOString(),
      samples: SAMPLES,
      recovery: {
        ...recovery,
        p95_gap_ms: Math.round(Math.abs(recovery.matched.p95 - recovery.unmatched.p95) * 100) / 100,
        mails: { matched: countTo(`rec-${run}-`), unmatched: countTo(`nobody-${run}-`) },
      },
      delete_request: {
        ...deletion,
        p95_gap_ms: Math.round(Math.abs(deletion.matched.p95 - deletion.unmatched.p95) * 100) / 100,
        mails: { matched: countTo(`del-${run}-`), unmatched: countTo(`wrong-${run}-`) },
      },
    };
    for (const [name, r] of [
      ["recover", result.recovery],
      ["delete-request", result.delete_request],
    ]) {
      const same = r.matched.answers.length === 1 && r.matched.answers[0] === r.unmatched.answers[0];
      say(
        `${name}: answers identical=${same} · p50 ${r.matched.p50}/${r.unmatched.p50} ms · p95 ${r.matched.p95}/${r.unmatched.p95} ms (gap ${r.p95_gap_ms} ms, target < ${GAP_TARGET_MS}) · p99 ${r.matched.p99}/${r.unmatched.p99} ms · mails ${r.mails.matched}/${r.mails.unmatched} (matched/unmatched)`,
      );
    }
    await writeFile(path.join(resultsDir, "enumeration.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`ENUMERATION_RESULT ${JSON.stringify(result)}`);
  } finally {
    clearTimeout(watchdog);
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(`[enumeration] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
