/**
 * TenantGate Durable Object (id = tenant id): one round trip decides a governed request — the
 * wrong-secret and per-credential budgets, the cached credential record, the tier per-minute
 * limit and the daily quota — exactly, because one object owns the tenant's counters.
 *
 * Storage (SQLite-backed, synchronous KV):
 *   "counters" GateCounters — current minute and UTC-day counts
 *   "pending"  PendingUsage — activity not yet written to Postgres
 *   "tenant"   string       — the tenant id this object serves (its id is a hash of it)
 * Memory only: the credential record, cached ≤ CACHE_TTL_MS and dropped by invalidate().
 * Alarm: flushes `pending` to Postgres (last_seen_at/request_count through csaas_register_touch,
 * community_saas_daily_usage rows) at most once per flush interval, never per request.
 */
import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { CredentialRecord } from "../auth/credential-policy";
import { evaluateCredential } from "../auth/credential-policy";
import { lookupCredential } from "../auth/credential-store";
import { loadConfig } from "../config";
import { Database } from "../db/client";
import { checkAppRole } from "../db/guard";
import { withOrgScope } from "../db/scope";
import type { Env } from "../env";
import type { Tier } from "../http/context";
import { createLogger, errorMessage } from "../http/log";
import {
  countAdmission,
  emptyCounters,
  type GateCounters,
  type GateLimits,
  preAuthAllows,
  recordWrongSecret,
  rollWindows,
} from "./gate-policy";

/** Credential (and license) state is re-read from Postgres at least this often. */
export const CACHE_TTL_MS = 60_000;
const RETRY_FLUSH_MS = 60_000;

export interface AdmitRequest {
  tenantId: string;
  /** `hmac-sha256$…` of the presented secret (the pepper never leaves the Worker). */
  presentedHash: string;
  clientIp: string;
  nowMs: number;
  limits: GateLimits;
  /** False for authenticated routes outside the daily quota (`/api/request`). */
  countsQuota: boolean;
}

export type AdmitVerdict =
  | { kind: "admitted"; orgId: string; tier: Tier; dbQueries: number }
  | { kind: "rejected"; terminated: boolean; dbQueries: number }
  | { kind: "pre_auth_limited"; limit: number }
  | { kind: "per_minute"; tier: Tier; limit: number; dbQueries: number }
  | { kind: "daily_quota"; tier: Tier; limit: number; dbQueries: number }
  | { kind: "unavailable" };

interface PendingUsage {
  orgId: string;
  requests: number;
  lastSeenMs: number;
  /** Absolute request count per UTC day (rejected requests included). */
  days: Record<string, number>;
}

interface CachedCredential {
  record: CredentialRecord | undefined;
  fetchedAtMs: number;
}

export class TenantGate extends DurableObject<Env> {
  #credential: CachedCredential | undefined;
  #credentialLoad: Promise<CachedCredential> | undefined;

  #counters(): GateCounters {
    return this.ctx.storage.kv.get<GateCounters>("counters") ?? emptyCounters();
  }

  #database(): { db: Database; url: string } | undefined {
    const config = loadConfig(this.env);
    if (!config.ok || !config.config.AXONFLOW_DB_APP_ROLE_URL) return undefined;
    const url = config.config.AXONFLOW_DB_APP_ROLE_URL;
    return { db: new Database({ url, wsProxy: config.config.NEON_WS_PROXY }), url };
  }

  /** The credential record, from memory while fresh; concurrent misses share one lookup. */
  async #credentialFor(tenantId: string, nowMs: number): Promise<{ cached: CachedCredential; queries: number }> {
    const cached = this.#credential;
    if (cached && nowMs - cached.fetchedAtMs < CACHE_TTL_MS) return { cached, queries: 0 };
    if (this.#credentialLoad) return { cached: await this.#credentialLoad, queries: 0 };
    const load = this.#fetchCredential(tenantId, nowMs);
    this.#credentialLoad = load.then((result) => result.cached);
    this.#credentialLoad.catch(() => {});
    try {
      return await load;
    } finally {
      this.#credentialLoad = undefined;
    }
  }

  async #fetchCredential(tenantId: string, nowMs: number): Promise<{ cached: CachedCredential; queries: number }> {
    const target = this.#database();
    if (!target) throw new GateUnavailable("missing_app_role_url");
    try {
      const guard = await checkAppRole(target.url, target.db);
      if (!guard.ok) throw new GateUnavailable(guard.reason);
      const cached = { record: await lookupCredential(target.db, tenantId), fetchedAtMs: nowMs };
      this.#credential = cached;
      return { cached, queries: target.db.queryCount };
    } finally {
      await target.db.close();
    }
  }

  /** Decides one request. See the module comment for the order of checks. */
  async admit(request: AdmitRequest): Promise<AdmitVerdict> {
    const kv = this.ctx.storage.kv;
    const early = this.#counters();
    rollWindows(early, request.nowMs);
    if (!preAuthAllows(early, request.clientIp, request.limits)) {
      return { kind: "pre_auth_limited", limit: request.limits.preAuthPerMinute };
    }

    let loaded: { cached: CachedCredential; queries: number };
    try {
      loaded = await this.#credentialFor(request.tenantId, request.nowMs);
    } catch (error) {
      createLogger({ tenantId: request.tenantId }).log(
        error instanceof GateUnavailable ? "fatal" : "error",
        error instanceof GateUnavailable ? "db_refuse_to_serve" : "credential_lookup_failed",
        { error: errorMessage(error) },
      );
      return { kind: "unavailable" };
    }
    const dbQueries = loaded.queries;

    // From here on nothing awaits, so the read-modify-write of the counters is atomic.
    const counters = this.#counters();
    rollWindows(counters, request.nowMs);
    if (!preAuthAllows(counters, request.clientIp, request.limits)) {
      return { kind: "pre_auth_limited", limit: request.limits.preAuthPerMinute };
    }
    const verdict = evaluateCredential(loaded.cached.record, request.presentedHash, new Date(request.nowMs));
    if (!verdict.ok) {
      if (verdict.reason !== "not_found") {
        recordWrongSecret(counters, request.clientIp);
        kv.put("counters", counters);
      }
      return { kind: "rejected", terminated: verdict.reason === "terminated", dbQueries };
    }

    const tier: Tier = "Free";
    const admission = countAdmission(counters, tier, request.limits, request.countsQuota);
    kv.put("counters", counters);
    this.#recordActivity(request, verdict.orgId, counters);

    if (admission.kind === "per_minute") return { kind: "per_minute", tier, limit: admission.limit, dbQueries };
    if (admission.kind === "daily_quota") return { kind: "daily_quota", tier, limit: admission.limit, dbQueries };
    return { kind: "admitted", orgId: verdict.orgId, tier, dbQueries };
  }

  #recordActivity(request: AdmitRequest, orgId: string, counters: GateCounters): void {
    const kv = this.ctx.storage.kv;
    const pending = kv.get<PendingUsage>("pending") ?? { orgId, requests: 0, lastSeenMs: 0, days: {} };
    pending.orgId = orgId;
    pending.requests++;
    pending.lastSeenMs = Math.max(pending.lastSeenMs, request.nowMs);
    if (counters.dailyCount > 0) pending.days[counters.day] = counters.dailyCount;
    kv.put("pending", pending);
    kv.put("tenant", request.tenantId);
    void this.#armFlush(request.nowMs);
  }

  async #armFlush(nowMs: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    const config = loadConfig(this.env);
    const delayMs = (config.ok ? config.config.AXONFLOW_USAGE_FLUSH_SECONDS : 30) * 1000;
    await this.ctx.storage.setAlarm(nowMs + delayMs);
  }

  /** Drops cached credential state so the next request re-reads Postgres (revocation, sweep, erasure). */
  async invalidate(): Promise<void> {
    this.#credential = undefined;
  }

  /** Writes pending activity to Postgres in one transaction; on failure keeps it and retries later. */
  override async alarm(): Promise<void> {
    const kv = this.ctx.storage.kv;
    const pending = kv.get<PendingUsage>("pending");
    const tenantId = kv.get<string>("tenant");
    if (!pending || !tenantId || pending.requests === 0) return;
    const target = this.#database();
    const log = createLogger({ tenantId });
    if (!target) {
      log.log("fatal", "usage_flush_failed", { error: "AXONFLOW_DB_APP_ROLE_URL is not set" });
      await this.ctx.storage.setAlarm(Date.now() + RETRY_FLUSH_MS);
      return;
    }
    try {
      await withOrgScope(target.db, pending.orgId, async (tx) => {
        await tx.execute(
          sql`select public.csaas_register_touch(${tenantId}, ${pending.requests}, ${new Date(pending.lastSeenMs).toISOString()})`,
        );
        for (const [day, count] of Object.entries(pending.days)) {
          await tx.execute(sql`
            insert into community_saas_daily_usage (tenant_id, org_id, day, req_count)
            values (${tenantId}, ${pending.orgId}, ${day}, ${count})
            on conflict (tenant_id, day) do update
              set req_count = greatest(community_saas_daily_usage.req_count, excluded.req_count)`);
        }
      });
      // Requests admitted while the flush ran stay pending for the next one.
      const latest = kv.get<PendingUsage>("pending");
      if (latest) {
        latest.requests -= pending.requests;
        for (const [day, count] of Object.entries(pending.days)) {
          if (latest.days[day] === count) delete latest.days[day];
        }
        kv.put("pending", latest);
        if (latest.requests > 0 || Object.keys(latest.days).length > 0) await this.#armFlush(Date.now());
      }
      log.log("info", "usage_flushed", { requests: pending.requests, days: Object.keys(pending.days) });
    } catch (error) {
      log.log("error", "usage_flush_failed", { error: errorMessage(error) });
      await this.ctx.storage.setAlarm(Date.now() + RETRY_FLUSH_MS);
    } finally {
      await target.db.close();
    }
  }
}

class GateUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "GateUnavailable";
  }
}
