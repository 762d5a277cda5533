import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { createLogger } from "../../src/http/log";
import worker from "../../src/index";
import { DAILY_CLEANUP_CRON, HOURLY_CRON, JOBS_BY_CRON, runScheduled } from "../../src/jobs";
import { ERAS } from "./support";

describe("cron dispatch", () => {
  it("declares a job list for each cron of wrangler.toml", () => {
    expect(Object.keys(JOBS_BY_CRON).sort()).toEqual([HOURLY_CRON, DAILY_CLEANUP_CRON].sort());
  });

  it("runs the jobs of a cron in order and keeps going past a failing one", async () => {
    const ran: string[] = [];
    const jobs = JOBS_BY_CRON as Record<string, unknown>;
    const saved = jobs[HOURLY_CRON];
    jobs[HOURLY_CRON] = [
      { name: "first", run: async () => void ran.push("first") },
      {
        name: "broken",
        run: async () => {
          throw new Error("boom");
        },
      },
      { name: "last", run: async () => void ran.push("last") },
    ];
    try {
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      expect(await runScheduled(HOURLY_CRON, env as Env, createLogger())).toEqual(["first", "last"]);
      expect(ran).toEqual(["first", "last"]);
      expect(errors.mock.calls.some(([line]) => String(line).includes('"job":"broken"'))).toBe(true);
      errors.mockRestore();
    } finally {
      jobs[HOURLY_CRON] = saved;
    }
  });

  it("logs and skips an unknown cron", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await runScheduled("* * * * *", env as Env, createLogger())).toEqual([]);
    expect(warn.mock.calls.some(([line]) => String(line).includes("cron_unknown"))).toBe(true);
    warn.mockRestore();
  });

  it("is wired to the Worker's scheduled handler for both crons", async () => {
    // Date frozen in the dispatch era: jobs run at a real "now" would reach other files' fixtures.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(ERAS.dispatch);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const quiet = { ...(env as Env), COMMUNITY_SAAS_SWEEP_ENABLED: "false" };
      for (const cron of [HOURLY_CRON, DAILY_CLEANUP_CRON]) {
        const ctx = createExecutionContext();
        await worker.scheduled(createScheduledController({ cron }), quiet, ctx);
        await waitOnExecutionContext(ctx);
      }
      const lines = log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
      expect(lines.filter((l) => l.event === "cron_ran").map((l) => [l.cron, l.jobs])).toEqual([
        [HOURLY_CRON, ["retention", "sweep"]],
        [DAILY_CLEANUP_CRON, ["cleanup"]],
      ]);
      const finished = lines.filter((l) => l.event === "job_finished");
      expect(finished.map((l) => l.job)).toEqual(["retention", "sweep", "cleanup"]);
      expect(finished[1]).toMatchObject({ skipped: "disabled" });
      for (const line of finished)
        expect(line).toMatchObject({ batches: expect.any(Number), durationMs: expect.any(Number) });
    } finally {
      log.mockRestore();
      vi.useRealTimers();
    }
  });

  it("maps each cron to its jobs", () => {
    expect(JOBS_BY_CRON[HOURLY_CRON]?.map((j) => j.name)).toEqual(["retention", "sweep"]);
    expect(JOBS_BY_CRON[DAILY_CLEANUP_CRON]?.map((j) => j.name)).toEqual(["cleanup"]);
  });

  it("logs job_failed and keeps going when the platform-admin URL is missing", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const broken = { ...(env as Env), AXONFLOW_DB_PLATFORM_ADMIN_URL: undefined };
      expect(await runScheduled(DAILY_CLEANUP_CRON, broken, createLogger(), ERAS.dispatch)).toEqual([]);
      const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
      expect(lines.map((l) => l.event)).toEqual(["job_failed", "cron_job_failed"]);
      expect(lines[0]).toMatchObject({ job: "cleanup", error: "AXONFLOW_DB_PLATFORM_ADMIN_URL is not set" });
    } finally {
      errors.mockRestore();
    }
  });
});
