/**
 * Sending mail after the response (waitUntil): a request never waits for Resend, so its answer and
 * timing do not depend on whether mail went out (recovery and erasure must not reveal that).
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/context";
import { defer } from "../http/defer";
import type { LogFields } from "../http/log";
import { createMailer, type MailMessage } from "./mailer";

/**
 * Sends `message` in the background with the configured Resend client. A failure, or a missing
 * RESEND_API_KEY, is logged as `event` with `fields` (callers pass masked values only).
 */
export function sendMailLater(c: Context<AppEnv>, message: MailMessage, event: string, fields: LogFields): void {
  const { config, log } = c.var;
  const mailer = createMailer({ apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL });
  if (!mailer) {
    log.log("warn", `${event}_skipped`, { ...fields, reason: "RESEND_API_KEY is not set" });
    return;
  }
  defer(
    c,
    mailer.send(message).then((sent) => {
      if (!sent.ok) log.log("error", `${event}_failed`, { ...fields, error: sent.error });
    }),
  );
}
