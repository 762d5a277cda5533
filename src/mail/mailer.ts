/**
 * Outgoing mail through Resend (production) or the local Resend-compatible sink (dev/tests, via
 * RESEND_BASE_URL). Sending is best effort everywhere it is used: a failure is returned, never
 * thrown, and callers log it without the message body (which may hold a token).
 */
import type { Resend } from "resend";
import { withTimeout } from "../time";

export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export type SendResult = { ok: true; id: string } | { ok: false; error: string };

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
}

const SEND_TIMEOUT_MS = 5_000;

/** A Resend-backed mailer, or undefined when no API key is configured (mail is then skipped). */
export function createMailer(options: { apiKey?: string; baseUrl?: string }): Mailer | undefined {
  if (!options.apiKey) return undefined;
  const { apiKey, baseUrl } = options;
  // The SDK loads on the first send rather than at isolate start: most requests never mail.
  let client: Promise<Resend> | undefined;
  return {
    async send(message) {
      client ??= import("resend").then(({ Resend }) => new Resend(apiKey, baseUrl ? { baseUrl } : undefined));
      const attempt = client
        .then((resend) => resend.emails.send(message))
        .then(
          ({ data, error }): SendResult =>
            error || !data ? { ok: false, error: error?.message ?? "no response" } : { ok: true, id: data.id },
          (error: unknown): SendResult => ({
            ok: false,
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      return withTimeout(attempt, SEND_TIMEOUT_MS, (): SendResult => ({ ok: false, error: "timeout" }));
    },
  };
}

/** HTML-escapes text for the HTML bodies. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
