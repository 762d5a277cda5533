// Small statistics over latency samples the bench timed itself (registration, webhook, soak).

/** The p-th percentile (0–100) of `values` by the nearest-rank method; null when empty. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function round(value, digits) {
  return value === null || value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(digits));
}

/** a / b rounded, or null when either is missing or b is 0. */
export function ratio(a, b, digits = 3) {
  return a === null || b === null || a === undefined || b === undefined || b === 0 ? null : round(a / b, digits);
}

/**
 * req/s, p50 and p99 of a phase whose requests were timed one by one: `timings` are `{ ms, status }`,
 * `ok` the success status, `wallMs` the phase's wall time. Throughput counts the successful requests
 * only; the latencies are theirs too.
 */
export function phaseFigures(timings, ok, wallMs, concurrency) {
  const good = timings.filter((t) => t.status === ok).map((t) => t.ms);
  return {
    rps: round(good.length / (wallMs / 1000), 1),
    p50_ms: round(percentile(good, 50), 1),
    p99_ms: round(percentile(good, 99), 1),
    requests: timings.length,
    ok: good.length,
    other_status: Object.fromEntries(
      [...new Set(timings.filter((t) => t.status !== ok).map((t) => t.status))].map((status) => [
        status,
        timings.filter((t) => t.status === status).length,
      ]),
    ),
    concurrency,
    wall_s: round(wallMs / 1000, 2),
  };
}

/** Averages of the cost headers in `costs` (`parseCost` results; nulls are skipped). */
export function costFigures(costs) {
  const list = costs.filter(Boolean);
  const average = (pick) =>
    list.length ? round(list.reduce((sum, cost) => sum + pick(cost), 0) / list.length, 3) : null;
  return {
    samples: list.length,
    do_avg: average((c) => c.doCalls),
    db_avg: average((c) => c.dbQueries),
    deferred_do_avg: average((c) => c.deferredDoCalls),
    db_nonzero: list.filter((c) => c.dbQueries > 0).length,
  };
}
