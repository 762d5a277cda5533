/**
 * The read-only HTML pages of GET /api/v1/recover/verify (platform.md §6.2). Mail scanners
 * pre-fetch links, so these pages only show: consuming the token takes the form's POST. Every
 * interpolated value is HTML-escaped.
 */
import { escapeHtml } from "../../mail/mailer";

/** No indexing, no sniffing, no caching, and the token in the URL never leaves as a Referer. */
export const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
} as const;

function page(title: string, body: string): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="robots" content="noindex,nofollow">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    "<style>body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>",
    "</head><body>",
    body,
    "</body></html>",
  ].join("\n");
}

export function errorPage(message: string): string {
  return page("AxonFlow Recovery Error", `<h1>Recovery error</h1><p>${escapeHtml(message)}</p>`);
}

export function confirmPage(email: string, token: string): string {
  return page(
    "Confirm AxonFlow Recovery",
    [
      "<h1>Confirm AxonFlow recovery</h1>",
      `<p>Recover the AxonFlow tenant associated with ${escapeHtml(email)}?</p>`,
      '<form method="POST" action="/api/v1/recover/verify">',
      `<input type="hidden" name="token" value="${escapeHtml(token)}">`,
      '<button type="submit">Confirm recovery</button>',
      "</form>",
      "<p>If you didn't request this, just close this page. No changes will be made.</p>",
    ].join("\n"),
  );
}
