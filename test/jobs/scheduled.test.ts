import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { createLogger } from "../../src/http/log";
import worker from "../../src/index";
import { DAILY_CLEANUP_CRON, HOURLY_CRON, JOBS_BY_CRON, runScheduled } from "../../src/jobs";

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

  it("is wired to the Worker's scheduled handler", async () => {
    const log = vi.spyOn(console, "log");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: DAILY_CLEANUP_CRON }), env as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(log.mock.calls.some(([line]) => String(line).includes('"event":"cron_ran"'))).toBe(true);
    log.mockRestore();
  });
});
