/** RFC 3339 in UTC with seconds precision, as Go's time.RFC3339 prints it (`2026-05-06T11:37:03Z`). */
export const rfc3339 = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;
