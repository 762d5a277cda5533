// Cold-start figures of each Worker: the bundle `wrangler deploy --dry-run` builds (raw and gzip
// bytes) and the startup CPU time of `wrangler check startup`, read from the .cpuprofile it writes.
// Run while no stack is up, so the build and the profile do not share the cores with the load.
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { round } from "./stats.mjs";

export const WORKERS = [
  { name: "public", config: "wrangler.toml" },
  { name: "billing", config: "wrangler.billing.toml" },
];
/**
 * `wrangler check startup` runs per Worker. The profiler samples on a wall clock: time the isolate's
 * thread spends descheduled (other processes on a shared machine) lands in whatever frame was last
 * sampled, so a run can only overstate the CPU time. The least of the runs is the figure; the median
 * is kept beside it.
 */
export const STARTUP_RUNS = 5;
const CHILD_TIMEOUT_MS = 120_000;
/** The profile's own pseudo-frames; every other frame is JavaScript the Worker runs. */
const IDLE = "(idle)";
const PSEUDO = new Set(["(root)", "(program)", "(garbage collector)", IDLE]);

const children = new Set();

/** Stops (SIGKILL to its process group) every wrangler this module started and is still waiting for. */
export function stopWorkerChildren() {
  for (const child of children) signalGroup(child.pid, "SIGKILL");
}

/**
 * Builds and profiles every Worker. Returns `{ [name]: figures }`; a Worker whose build fails gets
 * `{ error }` instead, so one broken build does not cost the run's other figures. Keeps the least
 * busy profile of each as `<resultsDir>/startup-<name>.cpuprofile`.
 */
export async function measureWorkers({ root, resultsDir, log }) {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "axonflow-bench-"));
  const figures = {};
  try {
    for (const worker of WORKERS) {
      try {
        figures[worker.name] = await measureWorker(worker, { root, resultsDir, tmp, log });
      } catch (error) {
        figures[worker.name] = { config: worker.config, error: error instanceof Error ? error.message : String(error) };
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return figures;
}

async function measureWorker({ name, config }, { root, resultsDir, tmp, log }) {
  const outdir = path.join(tmp, name);
  const bundleFile = path.join(tmp, `${name}.bundle`);
  log(`wrangler deploy --dry-run -c ${config}`);
  await wrangler(root, ["deploy", "--dry-run", "--outdir", outdir, "--outfile", bundleFile, "-c", config]);
  // The modules wrangler would upload: everything in --outdir but source maps and its README.
  const modules = (await readdir(outdir)).filter((file) => !file.endsWith(".map") && file !== "README.md");
  let raw = 0;
  let gzip = 0;
  for (const file of modules) {
    const bytes = await readFile(path.join(outdir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes).length; // zlib's default level (6), as wrangler's "Total Upload … gzip"
  }
  const runs = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    log(`wrangler check startup (${name}, ${i + 1} of ${STARTUP_RUNS})`);
    const profileFile = path.join(tmp, `${name}-${i}.cpuprofile`);
    await wrangler(root, ["check", "startup", "--workerBundle", bundleFile, "--outfile", profileFile]);
    runs.push({ file: profileFile, ...startupCpu(JSON.parse(await readFile(profileFile, "utf8"))) });
  }
  const sorted = [...runs].sort((a, b) => a.cpu_ms - b.cpu_ms);
  const least = sorted[0];
  const kept = path.join(resultsDir, `startup-${name}.cpuprofile`);
  await copyFile(least.file, kept);
  return {
    config,
    modules,
    raw_bytes: raw,
    gzip_bytes: gzip,
    gzip_kib: round(gzip / 1024, 1),
    bundle_file_bytes: (await stat(bundleFile)).size,
    startup_cpu_ms: least.cpu_ms,
    startup_median_ms: sorted[Math.floor(sorted.length / 2)].cpu_ms,
    startup_runs_ms: runs.map((run) => run.cpu_ms),
    startup_breakdown_ms: { js: least.js_ms, gc: least.gc_ms, program: least.program_ms, idle: least.idle_ms },
    startup_samples: least.samples,
    profile: path.relative(root, kept),
  };
}

/**
 * Startup CPU of a `wrangler check startup` profile. The profiler runs from before the probe's
 * fetch until after its answer; the fetch imports the Worker's main module, so the busy samples are
 * the module's evaluation. Counted: every sample but "(idle)", each lasting until the next sample (as
 * DevTools does): the Worker's JavaScript, "(garbage collector)" and "(program)" (V8 parsing and
 * compiling, native work outside JavaScript), all of which the isolate spends before it can answer.
 * The time before the first sample (the profiler waiting for the fetch) is not counted.
 */
export function startupCpu(profile) {
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const times = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) {
    at += delta;
    times.push(at);
  }
  const spent = { js: 0, gc: 0, program: 0, idle: 0 };
  for (let i = 0; i < profile.samples.length; i++) {
    const duration = (i + 1 < times.length ? times[i + 1] : profile.endTime) - times[i];
    const name = names.get(profile.samples[i]);
    if (name === IDLE) spent.idle += duration;
    else if (name === "(garbage collector)") spent.gc += duration;
    else if (name === "(program)" || name === "(root)") spent.program += duration;
    else if (!PSEUDO.has(name)) spent.js += duration;
  }
  const ms = (us) => round(us / 1000, 1);
  return {
    cpu_ms: ms(spent.js + spent.gc + spent.program),
    js_ms: ms(spent.js),
    gc_ms: ms(spent.gc),
    program_ms: ms(spent.program),
    idle_ms: ms(spent.idle),
    samples: profile.samples.length,
  };
}

/** Runs the project's wrangler in its own process group; rejects with its output's tail on failure. */
function wrangler(root, args) {
  const bin = path.join(root, "node_modules", ".bin", "wrangler");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // No banner means no update check against the npm registry: the bench stays on loopback.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
    });
    children.add(child);
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        output = (output + chunk).slice(-4000);
      });
    }
    const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), CHILD_TIMEOUT_MS);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split("\n").slice(-6).join("\n");
        reject(new Error(`wrangler ${args.slice(0, 2).join(" ")} failed (${signal ?? `exit ${code}`}):\n${tail}`));
      }
    });
  });
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
