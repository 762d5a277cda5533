/** The Plugin Pro license email (platform.md §3.6). */
import { escapeHtml, type MailMessage } from "./mailer";

export const LICENSE_EMAIL_SUBJECT = "Your AxonFlow Pro license token";
export const DEFAULT_BILLING_FROM = "AxonFlow <hello@getaxonflow.com>";

export function licenseEmail(options: { from: string; to: string; token: string }): MailMessage {
  const { token } = options;
  const exportLine = `export AXONFLOW_LICENSE_TOKEN='${token}'`;
  const text = [
    "Thank you for upgrading to AxonFlow Pro.",
    "",
    "Your license token (save this — you'll only see it here):",
    "",
    `    ${token}`,
    "",
    "Install — works the same across OpenClaw, Cursor, Codex, and Claude Code:",
    "",
    `  ${exportLine}`,
    "",
    "Add that line to your shell profile (~/.zshrc or ~/.bashrc) so every new terminal picks it up, then restart Cursor so the plugin sees it.",
    "",
    "Per-plugin persistent-file alternatives + verification commands: https://docs.getaxonflow.com/pro",
    "",
    "Lost this email or your token? Use the recovery flow (free-tier): https://try.getaxonflow.com/recover",
    "",
    "Questions? Reply to this email.",
    "",
    "— AxonFlow / https://getaxonflow.com",
    "",
  ].join("\n");
  const html = [
    "<!doctype html>",
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    "<p>Thank you for upgrading to AxonFlow Pro.</p>",
    "<p>Your license token (save this — you'll only see it here):</p>",
    `<pre><code>${escapeHtml(token)}</code></pre>`,
    "<p>Install — works the same across OpenClaw, Cursor, Codex, and Claude Code:</p>",
    `<pre><code>${escapeHtml(exportLine)}</code></pre>`,
    "<p>Add that line to your shell profile (~/.zshrc or ~/.bashrc) so every new terminal picks it up, then restart Cursor so the plugin sees it.</p>",
    '<p>Per-plugin persistent-file alternatives + verification commands: <a href="https://docs.getaxonflow.com/pro">https://docs.getaxonflow.com/pro</a></p>',
    '<p>Lost this email or your token? Use the recovery flow (free-tier): <a href="https://try.getaxonflow.com/recover">https://try.getaxonflow.com/recover</a></p>',
    "<p>Questions? Reply to this email.</p>",
    '<p>— AxonFlow / <a href="https://getaxonflow.com">https://getaxonflow.com</a></p>',
    "</body></html>",
  ].join("\n");
  return { from: options.from, to: [options.to], subject: LICENSE_EMAIL_SUBJECT, text, html };
}
