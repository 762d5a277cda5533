// The soak (issue 13 item 3): a long, fixed-rate phase that alternates GET /health and one governed
// route request by request, so both see the same machine at the same moment, and reads every
// governed answer's cost header. The requests leave on a fixed schedule (open loop: the next one does
// not wait for the previous answer), evenly spaced, over a small keep-alive pool; latency is timed
// from the moment a request is handed to Node until its answer has been read. autocannon's rate
// limit is not used: it sends each connection's share of a second back to back at the start of the
// second, and with a rate set it "corrects" its histogram for coordinated omission as if requests
// were due every millisecond.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { percentile, ratio, round } from "./stats.mjs";
import { governedHeaders, parseCost, request } from "./tenants.mjs";

const POOL_SOCKETS = 16;
/** More answers outstanding than this (the stack stalled) and a slot is skipped, not queued. */
const MAX_IN_FLIGHT = 64;
/** Requests that waited on Postgres, kept with their time and tenant for the report. */
const KEEP_DB_WAITS = 20;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `seconds` at `rate` requests per second in all, every other one `route` as the next of
 * `tenants` (round robin) and the rest GET /health. Stops early, before any tenant gets more than
 * `perTenantCap` governed requests (its daily quota). `lastAnswerAt` (tenantId → epoch ms) is updated
 * with each governed answer.
 */
export async function soak({ port, seconds, rate, route, tenants, perTenantCap, lastAnswerAt }) {
  // FIFO: every pooled connection takes its turn, so none idles long enough for the server to close
  // it just as a request is sent on it (a reset the stack never saw).
  const agent = new http.Agent({ keepAlive: true, maxSockets: POOL_SOCKETS, scheduling: "fifo" });
  const interval = 1000 / rate;
  const slots = Math.floor(seconds * rate);
  const samples = [];
  const sent = new Map();
  const pending = new Set();
  let next = 0;
  let skipped = 0;
  let capped = false;
  let maxLagMs = 0;
  const started = performance.now();
  const startedAtMs = Date.now();
  let slot = 0;
  for (; slot < slots; slot++) {
    const due = started + slot * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    if (pending.size >= MAX_IN_FLIGHT) {
      skipped++;
      continue;
    }
    const governed = slot % 2 === 1;
    let tenant;
    let options = { path: "/health", agent };
    if (governed) {
      tenant = tenants[next++ % tenants.length];
      const count = sent.get(tenant.tenantId) ?? 0;
      if (count >= perTenantCap) {
        capped = true;
        break;
      }
      sent.set(tenant.tenantId, count + 1);
      options = { method: "POST", path: route.path, headers: governedHeaders(tenant), body: route.body, agent };
    }
    const sample = { at: (due - started) / 1000, governed, tenantId: tenant?.tenantId };
    const sentAt = performance.now();
    const call = request(port, options)
      .then(
        (res) => {
          sample.status = res.status;
          sample.cost = parseCost(res.headers);
          if (tenant) lastAnswerAt.set(tenant.tenantId, Date.now());
        },
        (error) => {
          sample.status = 0;
          sample.error = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        sample.ms = performance.now() - sentAt;
        samples.push(sample);
        pending.delete(call);
      });
    pending.add(call);
  }
  await Promise.all(pending);
  agent.destroy();
  return summarizeSoak(samples, {
    seconds: round(slot / rate, 1),
    startedAtMs,
    elapsed: round((performance.now() - started) / 1000, 1),
    rate,
    route,
    tenants: tenants.length,
    skipped,
    capped,
    maxLagMs,
  });
}

function summarizeSoak(samples, { seconds, startedAtMs, elapsed, rate, route, tenants, skipped, capped, maxLagMs }) {
  const health = samples.filter((s) => !s.governed);
  const governed = samples.filter((s) => s.governed);
  const side = (list, ok) => {
    const good = list.filter((s) => s.status === ok).map((s) => s.ms);
    return {
      requests: list.length,
      non_ok: list.length - good.length,
      errors: list.filter((s) => s.status === 0).length,
      error_messages: Object.fromEntries(
        [...new Set(list.filter((s) => s.error).map((s) => s.error))].map((message) => [
          message,
          list.filter((s) => s.error === message).length,
        ]),
      ),
      status: Object.fromEntries(
        [...new Set(list.map((s) => s.status))].map((code) => [code, list.filter((s) => s.status === code).length]),
      ),
      p50_ms: round(percentile(good, 50), 1),
      p99_ms: round(percentile(good, 99), 1),
    };
  };
  const costs = governed.map((s) => s.cost).filter(Boolean);
  const dbWaits = governed.filter((s) => s.cost && s.cost.dbQueries > 0);
  const sum = (pick) => costs.reduce((total, cost) => total + pick(cost), 0);
  const minutes = [];
  const lastMinute = Math.floor(Math.max(0, ...samples.map((s) => s.at)) / 60);
  for (let minute = 0; minute <= lastMinute; minute++) {
    const inMinute = (list) => list.filter((s) => Math.floor(s.at / 60) === minute);
    const h = side(inMinute(health), 200);
    const g = side(inMinute(governed), route.status);
    minutes.push({
      minute: minute + 1,
      health_p99_ms: h.p99_ms,
      governed_p99_ms: g.p99_ms,
      p99_ratio: ratio(g.p99_ms, h.p99_ms),
      governed_requests: g.requests,
      db_waits: inMinute(dbWaits).length,
    });
  }
  const healthSide = side(health, 200);
  const governedSide = side(governed, route.status);
  return {
    route: route.path,
    seconds,
    started_at_ms: startedAtMs,
    elapsed_s: elapsed,
    rate_per_s: rate,
    tenants,
    seconds_between_a_tenants_requests: round((2 * tenants) / rate, 2),
    health: healthSide,
    governed: {
      ...governedSide,
      cost: {
        samples: costs.length,
        missing: governed.length - governed.filter((s) => s.cost).length,
        do_avg: costs.length ? round(sum((c) => c.doCalls) / costs.length, 3) : null,
        db_avg: costs.length ? round(sum((c) => c.dbQueries) / costs.length, 3) : null,
        deferred_do_avg: costs.length ? round(sum((c) => c.deferredDoCalls) / costs.length, 3) : null,
        do_max: costs.length ? Math.max(...costs.map((c) => c.doCalls)) : null,
      },
    },
    db_waits: dbWaits.length,
    db_wait_examples: dbWaits
      .slice(0, KEEP_DB_WAITS)
      .map((s) => ({ at_s: round(s.at, 1), tenant: s.tenantId, db: s.cost.dbQueries })),
    p99_ratio: ratio(governedSide.p99_ms, healthSide.p99_ms),
    p50_ratio: ratio(governedSide.p50_ms, healthSide.p50_ms),
    per_minute: minutes,
    skipped_slots: skipped,
    quota_stop: capped,
    max_send_lag_ms: round(maxLagMs, 1),
  };
}
