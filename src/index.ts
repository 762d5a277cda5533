/** Worker entry: HTTP, cron triggers and the Durable Object classes. */
import { fetchHandler, publicSurface } from "./app";
import type { Env } from "./env";
import { createLogger } from "./http/log";
import { runScheduled } from "./jobs";

export { IpLimiter } from "./limits/ip-limiter";
export { TenantGate } from "./limits/tenant-gate";

export default {
  fetch: fetchHandler(publicSurface),

  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller.cron, env, createLogger({ cron: controller.cron })));
  },
} satisfies ExportedHandler<Env>;
