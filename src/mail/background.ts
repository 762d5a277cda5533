/**
 * Sending mail after the response (waitUntil): a request never waits for Resend, so its answer and
 * timing do not depend on whether mail went out (recovery and erasure must not reveal that).
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/context";
import { defer } from "../http/defer";
import type { LogFields } from "../http/log";
import { createMailer, type MailMessage } from "./mailer";

/** Resolves on a later macrotask, after the current response was handed to the runtime. */
const afterThisTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Sends `message` in the background with the configured Resend client, starting on a later turn
 * of the event loop so that not even the client's setup runs before the answer leaves. A failure,
 * or a missing RESEND_API_KEY, is logged as `event` with `fields` (callers pass masked values only).
 */
export function sendMailLater(c: Context<AppEnv>, message: MailMessage, event: string, fields: LogFields): void {
  const { config, log } = c.var;
  defer(
    c,
    afterThisTurn().then(async () => {
      const mailer = createMailer({ apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL });
      if (!mailer) {
        log.log("warn", `${event}_skipped`, { ...fields, reason: "RESEND_API_KEY is not set" });
        return;
      }
      const sent = await mailer.send(message);
      if (!sent.ok) log.log("error", `${event}_failed`, { ...fields, error: sent.error });
    }),
  );
}
