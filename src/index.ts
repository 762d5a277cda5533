/** Worker entry: HTTP, cron triggers and (with the limits work) Durable Object classes. */
import type { Hono } from "hono";
import { buildApp } from "./app";
import { type Config, loadConfig } from "./config";
import type { Env } from "./env";
import type { AppEnv } from "./http/context";
import { createLogger } from "./http/log";
import { runScheduled } from "./jobs";

export { IpLimiter } from "./limits/ip-limiter";
export { TenantGate } from "./limits/tenant-gate";

const apps = new WeakMap<Config, Hono<AppEnv>>();
const reportedProblems = new WeakSet<Env>();

function misconfigured(env: Env, problems: { variable: string; problem: string }[]): Response {
  if (!reportedProblems.has(env)) {
    reportedProblems.add(env);
    createLogger().log("fatal", "config_invalid", {
      variables: problems.map((p) => `${p.variable}: ${p.problem}`),
    });
  }
  return Response.json({ error: { code: 503, message: "Service temporarily unavailable" } }, { status: 503 });
}

export default {
  fetch(request, env, ctx) {
    const result = loadConfig(env);
    if (!result.ok) return misconfigured(env, result.problems);
    let app = apps.get(result.config);
    if (!app) {
      app = buildApp(result.config);
      apps.set(result.config, app);
    }
    return app.fetch(request, env, ctx);
  },

  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller.cron, env, createLogger({ cron: controller.cron })));
  },
} satisfies ExportedHandler<Env>;
