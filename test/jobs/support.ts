/**
 * Shared by the job tests. Jobs act on the whole database, which other test files use at the same
 * time, so each job test file runs its jobs with a clock set in its own distant past ("era") and
 * seeds the rows it means to be deleted relative to that clock: a job run at 1990 can only touch
 * rows from before 1990, and no other file has any. Eras go up in this order, so no file's job
 * reaches another's fixtures: dispatch 1970 < cleanup 1980 < sweep 1990 < retention 2000 (the
 * sweep file seeds its child rows at the real time, out of retention's reach).
 */
import { inject } from "vitest";
import type { LogFields, Logger, LogLevel } from "../../src/http/log";
import { connect } from "../support/db";

export const ERAS = {
  dispatch: new Date("1970-01-15T12:00:00Z"),
  cleanup: new Date("1980-06-15T12:00:00Z"),
  sweep: new Date("1990-06-15T12:00:00Z"),
  retention: new Date("2000-06-15T12:00:00Z"),
} as const;

export const DAY = 86_400_000;

/** `era` moved by `days` (negative: earlier), as an ISO string for SQL parameters. */
export const at = (era: Date, days: number) => new Date(era.getTime() + days * DAY).toISOString();

/** A connection as axonflow_platform_admin, the role the jobs run as. */
export const adminDb = () => connect(inject("platformAdminUrl"));

export interface LogLine {
  level: LogLevel;
  event: string;
  fields: LogFields;
}

/** A logger that keeps its lines for assertions instead of printing them. */
export function recordingLogger(lines: LogLine[] = [], base: LogFields = {}): Logger & { lines: LogLine[] } {
  return {
    lines,
    log(level, event, fields = {}) {
      lines.push({ level, event, fields: { ...base, ...fields } });
    },
    with(fields) {
      return recordingLogger(lines, { ...base, ...fields });
    },
  };
}
