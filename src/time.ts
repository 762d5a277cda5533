/** RFC 3339 in UTC with seconds precision, as Go's time.RFC3339 prints it (`2026-05-06T11:37:03Z`). */
export const rfc3339 = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

/**
 * Whichever comes first: `promise`, or `onTimeout()` once `ms` have passed (it may return a
 * fallback value or throw). The timer never outlives the race. Every wait on a remote system
 * (Postgres, Resend, Stripe) goes through this so none can hold a request unbounded.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
