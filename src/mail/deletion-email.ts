/** Erasure confirmation mail (platform.md §7.1): the raw token and a ready curl command. */
import { escapeHtml, type MailMessage } from "./mailer";

/** Subject of the confirmation mail (§7.1). */
export const DELETION_EMAIL_SUBJECT = "Confirm AxonFlow tenant deletion";

/** The curl command that confirms the deletion (the token is base64url, so it needs no quoting). */
export function confirmCommand(confirmUrl: string, token: string): string {
  return `curl -X POST '${confirmUrl}' -H 'Content-Type: application/json' -d '{"token":"${token}"}'`;
}

/**
 * The confirmation mail for `tenantId`. `confirmUrl` is the full delete-confirm URL; `token` is
 * the raw token, shown nowhere else.
 */
export function deletionEmail(options: {
  from: string;
  to: string;
  tenantId: string;
  confirmUrl: string;
  token: string;
}): MailMessage {
  const { tenantId, confirmUrl, token } = options;
  const command = confirmCommand(confirmUrl, token);
  const intro = `Someone (hopefully you) asked to permanently delete the AxonFlow tenant ${tenantId} registered with this address, together with its licenses, usage and audit records (GDPR Article 17).`;
  const howTo = "To confirm within 1 hour, run:";
  const tokenLine = `Your deletion token: ${token}`;
  const warning = "Deletion cannot be undone. If you didn't request this, ignore this email: nothing changes.";
  const text = [
    intro,
    "",
    howTo,
    "",
    `    ${command}`,
    "",
    tokenLine,
    "",
    warning,
    "",
    "— AxonFlow / https://getaxonflow.com",
    "",
  ];
  return {
    from: options.from,
    to: [options.to],
    subject: DELETION_EMAIL_SUBJECT,
    text: text.join("\n"),
    html: [
      "<!doctype html>",
      '<html><body style="font-family: sans-serif; line-height: 1.5">',
      `<p>${escapeHtml(intro)}</p>`,
      `<p>${escapeHtml(howTo)}</p>`,
      `<pre>${escapeHtml(command)}</pre>`,
      `<p>Your deletion token: <code>${escapeHtml(token)}</code></p>`,
      `<p>${escapeHtml(warning)}</p>`,
      '<p>— AxonFlow / <a href="https://getaxonflow.com">https://getaxonflow.com</a></p>',
      "</body></html>",
    ].join("\n"),
  };
}
