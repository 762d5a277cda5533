/** Time windows of the limits: fixed minutes and UTC calendar days. */
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Index of the fixed one-minute window containing `nowMs`. */
export const minuteWindow = (nowMs: number) => Math.floor(nowMs / MINUTE_MS);

/** `YYYY-MM-DD` of the UTC day containing `nowMs`. */
export const utcDay = (nowMs: number) => new Date(nowMs).toISOString().slice(0, 10);

/** The next 00:00:00 UTC after `nowMs`. */
export const nextUtcMidnight = (nowMs: number) => new Date((Math.floor(nowMs / DAY_MS) + 1) * DAY_MS);

/** Whole seconds from `nowMs` until `until`, at least 1 (platform.md §4.4 `Retry-After`). */
export const secondsUntil = (until: Date, nowMs: number) => Math.max(1, Math.ceil((until.getTime() - nowMs) / 1000));
