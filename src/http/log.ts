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

/** A loggable message for anything thrown (drivers throw ErrorEvents and plain objects too). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}
