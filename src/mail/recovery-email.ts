/** Credential-recovery mail (platform.md §6.1): the link, and the notice after a recovery. */
import { escapeHtml, type MailMessage } from "./mailer";

export const RECOVERY_EMAIL_SUBJECT = "Recover your AxonFlow tenant";
export const RECOVERED_EMAIL_SUBJECT = "A new AxonFlow tenant was created through recovery";

function html(paragraphs: string[]): string {
  return [
    "<!doctype html>",
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    ...paragraphs.map((p) => `<p>${p}</p>`),
    "</body></html>",
  ].join("\n");
}

/** The link mail. `link` is the full verify URL carrying the token. */
export function recoveryEmail(options: { from: string; to: string; link: string }): MailMessage {
  const { link } = options;
  const text = [
    "Someone (hopefully you) asked to recover the AxonFlow tenant registered with this address.",
    "",
    "Open this link within 15 minutes to confirm. It creates a new tenant with a new secret; your existing tenant keeps working:",
    "",
    `    ${link}`,
    "",
    "The link works once. If you didn't request this, ignore this email: nothing changes.",
    "",
    "— AxonFlow / https://getaxonflow.com",
    "",
  ].join("\n");
  return {
    from: options.from,
    to: [options.to],
    subject: RECOVERY_EMAIL_SUBJECT,
    text,
    html: html([
      "Someone (hopefully you) asked to recover the AxonFlow tenant registered with this address.",
      "Open this link within 15 minutes to confirm. It creates a new tenant with a new secret; your existing tenant keeps working:",
      `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`,
      "The link works once. If you didn't request this, ignore this email: nothing changes.",
      '— AxonFlow / <a href="https://getaxonflow.com">https://getaxonflow.com</a>',
    ]),
  };
}

/** Tells the address that a recovery created a tenant (never carries the secret). */
export function recoveredEmail(options: {
  from: string;
  to: string;
  tenantId: string;
  createdAt: string;
}): MailMessage {
  const { tenantId, createdAt } = options;
  const lines = [
    `A new AxonFlow tenant (${tenantId}) was created through recovery for this address at ${createdAt}.`,
    "Its secret was shown once, to whoever confirmed the recovery link. Your earlier tenants keep working.",
    "If this wasn't you, reply to this email so we can help you secure your tenants.",
  ];
  return {
    from: options.from,
    to: [options.to],
    subject: RECOVERED_EMAIL_SUBJECT,
    text: [...lines, "", "— AxonFlow / https://getaxonflow.com", ""].join("\n"),
    html: html([
      ...lines.map(escapeHtml),
      '— AxonFlow / <a href="https://getaxonflow.com">https://getaxonflow.com</a>',
    ]),
  };
}
