/**
 * Structured logs: one JSON line per event, always with `event`. Callers pass identifiers and
 * counts only — never secrets, tokens or full email addresses (use maskEmail).
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "fatal";

export type LogFields = Record<string, string | number | boolean | null | undefined | string[]>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (e.g. tenantId once known). */
  with(fields: LogFields): Logger;
}

export function createLogger(base: LogFields = {}): Logger {
  return {
    log(level, event, fields = {}) {
      const line = JSON.stringify({ level, event, ...base, ...fields, ts: new Date().toISOString() });
      if (level === "error" || level === "fatal") console.error(line);
      else if (level === "warn") console.warn(line);
      else console.log(line);
    },
    with(fields) {
      return createLogger({ ...base, ...fields });
    },
  };
}

/** `someone@example.com` → `s***@example.com`: enough for support to correlate, not to identify. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

/**
 * A loggable message for anything thrown (drivers throw ErrorEvents and plain objects too). For a
 * wrapped driver error it is the innermost cause — the database's own message and SQLSTATE — not
 * the wrapper's, which quotes the query and its parameters (tenant data) in full.
 */
export function errorMessage(error: unknown): string {
  let inner: unknown = error;
  while (typeof inner === "object" && inner !== null && "cause" in inner && inner.cause) inner = inner.cause;
  const code = typeof inner === "object" && inner !== null && "code" in inner ? String(inner.code) : "";
  let message: string;
  if (inner instanceof Error) message = inner.message;
  else if (typeof inner === "object" && inner !== null && "message" in inner) message = String(inner.message);
  else message = String(inner);
  return /^[0-9A-Z]{5}$/.test(code) ? `${message} (SQLSTATE ${code})` : message;
}
