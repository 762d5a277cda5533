/**
 * TenantGate Durable Object (id = tenant id): one round trip decides a governed request — the
 * wrong-secret and per-credential budgets, the cached credential record, the tier per-minute
 * limit and the daily quota — exactly, because one object owns the tenant's counters.
 *
 * Storage (SQLite-backed, synchronous):
 *   KV "counters" GateCounters — current minute and UTC-day counts
 *   KV "pending"  PendingUsage — activity not yet in a flush snapshot, with the tenant it belongs
 *                 to (an object's id is only a hash of the tenant id)
 *   KV "usage_flush" UsageFlush — the snapshot being written: `pending` as it was when a flush took
 *                 it, plus a flush id; kept (and re-sent unchanged) until its transaction is known
 *                 to have committed, so csaas_register_flush applies it at most once
 *   SQL tables    outbox (audit and decision rows), idempotency records, MCP sessions — see
 *                 gate-storage.ts
 * Memory only: the credential record, license rows by jti and the governance state (the tenant's
 * own policies and live overrides), each cached ≤ CACHE_TTL_MS and dropped by invalidate(); past
 * CACHE_REFRESH_AFTER_MS a request is still answered from memory while the entry reloads in the
 * background, so a busy tenant's requests never wait on Postgres.
 * Alarm: writes usage (last_seen_at/request_count through csaas_register_flush,
 * community_saas_daily_usage rows) and the outbox to Postgres at most once per flush interval,
 * never per request, and drops expired idempotency records and sessions.
 * RPC contract (what the Worker sends and gets back): TenantGateRpc in src/rpc/tenant-gate.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { GovernanceRecord } from "../audit/records";
import { insertRecords } from "../audit/store";
import { loadConfig } from "../config";
import { type CredentialRecord, evaluateCredential } from "../credentials/check";
import { lookupCredential } from "../credentials/store";
import { sha256Hex } from "../crypto";
import { Database } from "../db/client";
import { checkAppRole } from "../db/guard";
import { withOrgScope } from "../db/scope";
import type { Env } from "../env";
import { createLogger, errorMessage } from "../http/log";
import type { TenantPolicyRow } from "../policy/tenant-policies";
import type {
  ActiveOverride,
  AdmitRequest,
  Admitted,
  AdmitVerdict,
  GateRecordBatch,
  LicenseProblem,
  PresentedLicense,
  SessionOp,
  TenantGateRpc,
} from "../rpc/tenant-gate";
import type { Tier } from "../tiers";
import {
  countAdmission,
  emptyCounters,
  type GateCounters,
  preAuthAllows,
  recordWrongSecret,
  rollWindows,
} from "./gate-policy";
import { GateTables } from "./gate-storage";
import { type Loaded, TtlCache } from "./ttl-cache";

/** Credential (and license) state is re-read from Postgres at least this often. */
export const CACHE_TTL_MS = 60_000;
/** Past this age a cached entry is still answered while one background load replaces it. */
export const CACHE_REFRESH_AFTER_MS = 45_000;
const RETRY_FLUSH_MS = 60_000;
/** Outbox rows written per transaction, and transactions per alarm run (the rest waits for the next run). */
const OUTBOX_BATCH = 500;
const OUTBOX_BATCHES_PER_ALARM = 20;
/** An alarm this close after the wanted time is good enough (see #armAt). */
const ALARM_SLACK_MS = 60_000;
/** Expired sessions are swept by the alarm at the latest this long after one is created. */
const SESSION_SWEEP_DELAY_MS = 24 * 3_600_000;

/** A license row as the gate caches it. */
type LicenseState = { status: "active"; tier: "Pro" | "Premium"; tenantId: string } | { status: "inactive" };

interface PendingUsage {
  tenantId: string;
  orgId: string;
  requests: number;
  lastSeenMs: number;
  /** Absolute request count per UTC day (rejected requests included). */
  days: Record<string, number>;
}

/**
 * A usage snapshot in flight. `id` makes a re-sent snapshot a no-op in Postgres (migrations/080):
 * a COMMIT that outlasted the bound, or a crash before the acknowledgement, leaves its outcome
 * unknown, so the same id and counts are sent again before anything newer.
 */
interface UsageFlush extends PendingUsage {
  id: string;
}

const hasUsage = (usage: PendingUsage | undefined): usage is PendingUsage =>
  usage !== undefined && (usage.requests > 0 || Object.keys(usage.days).length > 0);

export class TenantGate extends DurableObject<Env> implements TenantGateRpc {
  readonly #credentials = new TtlCache<CredentialRecord | undefined>(CACHE_TTL_MS, 1, CACHE_REFRESH_AFTER_MS);
  readonly #licenses = new TtlCache<LicenseState>(CACHE_TTL_MS, 16, CACHE_REFRESH_AFTER_MS);
  readonly #governance = new TtlCache<LoadedGovernance>(CACHE_TTL_MS, 1, CACHE_REFRESH_AFTER_MS);
  #tables = new GateTables(this.ctx.storage.sql);
  /** When the alarm is set for (null: none), as far as this instance knows; undefined until read. */
  #alarmAt: number | null | undefined;
  /** The flush an alarm is running, so erase() can wait for it. */
  #flushing: Promise<void> | undefined;
  /** Set by erase(): the tenant is gone, so whatever still arrives for it is dropped, not kept. */
  #erased = false;

  /** Counters of an id without a registration live in memory only: a guessed id leaves no storage. */
  #unknownIdCounters: GateCounters | undefined;

  #counters(): GateCounters {
    return this.ctx.storage.kv.get<GateCounters>("counters") ?? this.#unknownIdCounters ?? emptyCounters();
  }

  /** Runs `fn` on a fresh app-role connection that passed the refuse-to-serve guard. */
  async #withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<Loaded<T>> {
    const config = loadConfig(this.env);
    const url = config.ok ? config.config.AXONFLOW_DB_APP_ROLE_URL : undefined;
    if (!config.ok || !url) throw new GateUnavailable("missing_app_role_url");
    const db = new Database({
      url,
      wsProxy: config.config.NEON_WS_PROXY,
      timeoutMs: config.config.AXONFLOW_DB_TIMEOUT_MS,
    });
    try {
      const guard = await checkAppRole(url, db);
      if (!guard.ok) throw new GateUnavailable(guard.reason);
      const value = await fn(db);
      return { value, queries: db.queryCount };
    } finally {
      await db.close();
    }
  }

  #credentialFor(tenantId: string, nowMs: number): Promise<Loaded<CredentialRecord | undefined>> {
    return this.#credentials.get(tenantId, nowMs, () => this.#withDatabase((db) => lookupCredential(db, tenantId)));
  }

  #licenseFor(jti: string, orgId: string, nowMs: number): Promise<Loaded<LicenseState>> {
    return this.#licenses.get(jti, nowMs, () =>
      this.#withDatabase(async (db) => {
        const rows = await withOrgScope(db, orgId, async (tx) => {
          const result = await tx.execute<{ tenant_id: string; tier: string; revoked: boolean }>(
            sql`select tenant_id, tier, revoked_at is not null as revoked
                from plugin_user_licenses where license_token_jti = ${jti}`,
          );
          return result.rows;
        });
        const row = rows[0];
        return row && !row.revoked && (row.tier === "Pro" || row.tier === "Premium")
          ? { status: "active" as const, tier: row.tier, tenantId: row.tenant_id }
          : { status: "inactive" as const };
      }),
    );
  }

  #governanceFor(orgId: string, nowMs: number): Promise<Loaded<LoadedGovernance>> {
    return this.#governance.get(orgId, nowMs, () => this.#withDatabase((db) => loadGovernance(db, orgId)));
  }

  /** Decides one request. See the module comment for the order of checks. */
  async admit(request: AdmitRequest): Promise<AdmitVerdict> {
    const log = createLogger({ tenantId: request.tenantId });
    const early = this.#counters();
    rollWindows(early, request.nowMs);
    if (!preAuthAllows(early, request.clientIp, request.limits)) {
      return { kind: "pre_auth_limited", limit: request.limits.preAuthPerMinute };
    }

    let loaded: Loaded<CredentialRecord | undefined>;
    try {
      loaded = await this.#credentialFor(request.tenantId, request.nowMs);
    } catch (error) {
      const refused = error instanceof GateUnavailable;
      log.log(refused ? "fatal" : "error", refused ? "db_refuse_to_serve" : "credential_lookup_failed", {
        error: errorMessage(error),
      });
      return { kind: "unavailable" };
    }
    let dbQueries = loaded.queries;
    const credential = evaluateCredential(loaded.value, request.presentedHash, new Date(request.nowMs));

    // Only a credential that passed costs a license query.
    let license: LicenseState | "lookup_failed" | undefined;
    if (credential.ok && request.license.kind === "verified") {
      try {
        const found = await this.#licenseFor(request.license.jti, credential.orgId, request.nowMs);
        dbQueries += found.queries;
        license = found.value;
      } catch (error) {
        log.log("error", "license_lookup_failed", { error: errorMessage(error) });
        license = "lookup_failed";
      }
    }

    let governance: LoadedGovernance | undefined;
    if (credential.ok && request.governance) {
      try {
        const found = await this.#governanceFor(credential.orgId, request.nowMs);
        dbQueries += found.queries;
        governance = found.value;
      } catch (error) {
        log.log("error", "governance_lookup_failed", { error: errorMessage(error) });
        return { kind: "unavailable" };
      }
    }

    // From here on nothing awaits, so the read-modify-write of the counters is atomic.
    const kv = this.ctx.storage.kv;
    const counters = this.#counters();
    rollWindows(counters, request.nowMs);
    if (!preAuthAllows(counters, request.clientIp, request.limits)) {
      return { kind: "pre_auth_limited", limit: request.limits.preAuthPerMinute };
    }
    if (!credential.ok) {
      // Unknown ids count too: otherwise N+1 guesses at one id would all get 401, never the 429.
      recordWrongSecret(counters, request.clientIp);
      if (credential.reason === "not_found") this.#unknownIdCounters = counters;
      else kv.put("counters", counters);
      return { kind: "rejected", terminated: credential.reason === "terminated", dbQueries };
    }

    const refusal = licenseRefusal(request.license, license, request.tenantId);
    if (refusal) return { kind: "license_refused", problem: refusal, dbQueries };
    const tier: Tier = license && typeof license === "object" && license.status === "active" ? license.tier : "Free";

    const admission = countAdmission(counters, tier, request.limits, request.countsQuota);
    kv.put("counters", counters);
    this.#recordActivity(request, credential.orgId, counters);

    if (admission.kind === "per_minute") return { kind: "per_minute", tier, limit: admission.limit, dbQueries };
    if (admission.kind === "daily_quota") return { kind: "daily_quota", tier, limit: admission.limit, dbQueries };
    const admitted: Admitted = {
      kind: "admitted",
      orgId: credential.orgId,
      tier,
      dbQueries,
      dailyCount: counters.dailyCount,
    };
    if (request.idempotency) {
      const { key, fingerprint } = request.idempotency;
      admitted.idempotency = this.#tables.lookupIdempotency(key, fingerprint, request.nowMs);
    }
    if (request.session) admitted.session = this.#applySession(request.session, request.nowMs);
    if (governance) {
      admitted.governance = {
        version: governance.version,
        overrides: governance.overrides.filter((o) => o.expiresAtMs > request.nowMs),
        ...(request.governance?.knownVersion === governance.version ? {} : { policies: governance.policies }),
      };
    }
    return admitted;
  }

  #applySession(session: SessionOp, nowMs: number): Admitted["session"] {
    switch (session.op) {
      case "create":
        this.#tables.createSession(session, nowMs);
        void this.#armAt(nowMs + SESSION_SWEEP_DELAY_MS);
        return undefined;
      case "end":
        return this.#tables.endSession(session.id, nowMs) ? "live" : "unknown";
    }
  }

  /**
   * Takes a request's audit and decision rows (and the response to replay for its idempotency
   * key) after the response went out. They reach Postgres with the next flush; until then they
   * are durable here.
   */
  async record(batch: GateRecordBatch): Promise<void> {
    // Records of requests admitted just before an erasure must not bring the tenant's data back.
    if (this.#erased) return;
    const nowMs = Date.now();
    if (batch.records.length > 0) this.#tables.enqueue(batch.records);
    if (batch.idempotency) {
      const { key, fingerprint, response } = batch.idempotency;
      this.#tables.storeIdempotency(key, fingerprint, response, nowMs);
    }
    await this.#armAt(nowMs + this.#flushDelayMs());
  }

  #recordActivity(request: AdmitRequest, orgId: string, counters: GateCounters): void {
    if (this.#erased) return;
    const kv = this.ctx.storage.kv;
    const pending = kv.get<PendingUsage>("pending") ?? {
      tenantId: request.tenantId,
      orgId,
      requests: 0,
      lastSeenMs: 0,
      days: {},
    };
    pending.orgId = orgId;
    pending.requests++;
    pending.lastSeenMs = Math.max(pending.lastSeenMs, request.nowMs);
    if (counters.dailyCount > 0) pending.days[counters.day] = counters.dailyCount;
    kv.put("pending", pending);
    void this.#armAt(request.nowMs + this.#flushDelayMs());
  }

  /** Within the configured flush interval, jittered so tenants that got busy together flush apart. */
  #flushDelayMs(): number {
    const config = loadConfig(this.env);
    const delayMs = (config.ok ? config.config.AXONFLOW_USAGE_FLUSH_SECONDS : 30) * 1000;
    return delayMs * (0.5 + Math.random() / 2);
  }

  /**
   * Makes sure the alarm fires no later than about `atMs`. An alarm already set within
   * ALARM_SLACK_MS of it is kept, so a stream of requests does not rewrite it each time; the
   * memory mirror spares a storage read per request.
   */
  async #armAt(atMs: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= atMs + ALARM_SLACK_MS) return;
    this.#alarmAt = atMs;
    await this.ctx.storage.setAlarm(atMs);
  }

  /**
   * Drops cached credential, license and governance state so the next request re-reads Postgres
   * (revocation, sweep, erasure, a changed policy or override).
   */
  async invalidate(): Promise<void> {
    this.#credentials.clear();
    this.#licenses.clear();
    this.#governance.clear();
  }

  /**
   * GDPR erasure (platform.md §7.2), after the tenant's rows left Postgres: drops the caches, waits
   * for a flush the alarm may be running (so it cannot write after this returns; the caller then
   * deletes whatever such a flush wrote), and deletes the alarm and all storage. The SQL tables are
   * recreated empty at once, so the object keeps working; records that still arrive are dropped.
   */
  async erase(): Promise<void> {
    this.#erased = true;
    await this.invalidate();
    while (this.#flushing) await this.#flushing.catch(() => {});
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#alarmAt = null;
    this.#tables = new GateTables(this.ctx.storage.sql);
  }

  /** Runs the flush, visible to erase() while it runs; never two at once (one snapshot in flight). */
  override async alarm(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => {});
    const run = this.#flush();
    this.#flushing = run;
    try {
      await run;
    } finally {
      if (this.#flushing === run) this.#flushing = undefined;
    }
  }

  /**
   * Writes pending activity and the outbox to Postgres (each in its own transactions); on failure
   * keeps what was not written and retries later. Also drops expired idempotency records and
   * sessions.
   */
  async #flush(): Promise<void> {
    this.#alarmAt = null;
    const kv = this.ctx.storage.kv;
    // A snapshot left by a failed (or interrupted) flush goes first, with its id and counts
    // unchanged: its transaction may have committed without the gate seeing it.
    const retried = kv.get<UsageFlush>("usage_flush");
    const snapshot = retried ?? this.#takeUsageSnapshot();
    const nextExpiry = this.#tables.sweepExpired(Date.now());
    if (!snapshot && this.#tables.outboxSize() === 0) {
      if (nextExpiry !== undefined) await this.#armAt(nextExpiry);
      return;
    }
    const log = createLogger({ tenantId: snapshot?.tenantId });
    const usage = { requests: 0, days: new Set<string>(), outcomes: [] as string[] };
    let written = { audit: 0, decisions: 0 };
    try {
      await this.#withDatabase(async (db) => {
        // The retried snapshot, then (in the same run) one of what was admitted since.
        for (let next = snapshot; next; next = next === retried ? this.#takeUsageSnapshot() : undefined) {
          const outcome = await this.#writeUsage(db, next);
          this.#acknowledgeUsage(next);
          usage.outcomes.push(outcome);
          if (outcome === "applied") usage.requests += next.requests;
          for (const day of Object.keys(next.days)) usage.days.add(day);
        }
        written = await this.#writeOutbox(db);
      });
    } catch (error) {
      log.log(error instanceof GateUnavailable ? "fatal" : "error", "gate_flush_failed", {
        error: errorMessage(error),
        usageFlushId: kv.get<UsageFlush>("usage_flush")?.id,
        outbox: this.#tables.outboxSize(),
      });
      await this.#armAt(Date.now() + RETRY_FLUSH_MS * (0.5 + Math.random()));
      return;
    }
    log.log("info", "gate_flushed", {
      requests: usage.requests,
      days: [...usage.days],
      usage: usage.outcomes,
      auditRows: written.audit,
      decisionRows: written.decisions,
    });
    if (hasUsage(kv.get<PendingUsage>("pending")) || this.#tables.outboxSize() > 0) {
      await this.#armAt(Date.now() + this.#flushDelayMs());
    } else if (nextExpiry !== undefined) await this.#armAt(nextExpiry);
  }

  /**
   * Moves `pending` into a new snapshot with a fresh flush id, persisted before any transaction
   * sends it (one synchronous step, so no request falls between the two keys). Requests admitted
   * from now on accumulate in a new `pending` for the next snapshot. Undefined when there is
   * nothing to send.
   */
  #takeUsageSnapshot(): UsageFlush | undefined {
    const kv = this.ctx.storage.kv;
    const pending = kv.get<PendingUsage>("pending");
    if (!hasUsage(pending)) return undefined;
    const snapshot: UsageFlush = { ...pending, id: crypto.randomUUID() };
    kv.put("usage_flush", snapshot);
    kv.delete("pending");
    return snapshot;
  }

  /** Writes one snapshot in one transaction; Postgres applies a flush id at most once. */
  async #writeUsage(db: Database, snapshot: UsageFlush): Promise<string> {
    const { tenantId } = snapshot;
    return withOrgScope(db, snapshot.orgId, async (tx) => {
      const result = await tx.execute<{ outcome: string }>(
        sql`select public.csaas_register_flush(${tenantId}, ${snapshot.id}::uuid, ${snapshot.requests},
              ${new Date(snapshot.lastSeenMs).toISOString()}) as outcome`,
      );
      // Absolute day counts under greatest(): re-sending them is harmless.
      for (const [day, count] of Object.entries(snapshot.days)) {
        await tx.execute(sql`
          insert into community_saas_daily_usage (tenant_id, org_id, day, req_count)
          values (${tenantId}, ${snapshot.orgId}, ${day}, ${count})
          on conflict (tenant_id, day) do update
            set req_count = greatest(community_saas_daily_usage.req_count, excluded.req_count)`);
      }
      return String(result.rows[0]?.outcome);
    });
  }

  /** The snapshot's transaction committed: forget it (requests admitted since are in `pending`). */
  #acknowledgeUsage(flushed: UsageFlush): void {
    const kv = this.ctx.storage.kv;
    if (kv.get<UsageFlush>("usage_flush")?.id === flushed.id) kv.delete("usage_flush");
  }

  /** Writes the outbox oldest first, one transaction per batch and org, acknowledging each batch. */
  async #writeOutbox(db: Database): Promise<{ audit: number; decisions: number }> {
    const total = { audit: 0, decisions: 0 };
    for (let batch = 0; batch < OUTBOX_BATCHES_PER_ALARM; batch++) {
      const { records, lastSeq } = this.#tables.peek(OUTBOX_BATCH);
      if (records.length === 0) break;
      const byOrg = new Map<string, GovernanceRecord[]>();
      for (const record of records) byOrg.set(record.orgId, [...(byOrg.get(record.orgId) ?? []), record]);
      for (const [orgId, rows] of byOrg) {
        const written = await withOrgScope(db, orgId, (tx) => insertRecords(tx, rows));
        total.audit += written.audit;
        total.decisions += written.decisions;
      }
      this.#tables.acknowledge(lastSeq);
    }
    return total;
  }
}

interface LoadedGovernance {
  version: string;
  overrides: ActiveOverride[];
  policies: TenantPolicyRow[];
}

/** The tenant's enabled policy rows and live overrides, in one round trip under its org scope. */
async function loadGovernance(db: Database, orgId: string): Promise<LoadedGovernance> {
  const row = await withOrgScope(db, orgId, async (tx) => {
    const result = await tx.execute<{
      policies: TenantPolicyRow[];
      overrides: Array<Record<string, string | null>>;
    }>(sql`
      select
        (select coalesce(json_agg(json_build_object(
            'policy_id', p.policy_id, 'name', p.name, 'description', p.description, 'category', p.category,
            'pattern', p.pattern, 'severity', p.severity, 'action', p.action, 'priority', p.priority,
            'version', p.version, 'risk_level', p.risk_level, 'allow_override', p.allow_override,
            'connector_type', p.metadata->>'connector_type')
          order by p.priority desc, p.created_at, p.policy_id), '[]'::json)
         from static_policies p
         where p.tier = 'tenant' and p.enabled and p.deleted_at is null) as policies,
        (select coalesce(json_agg(json_build_object(
            'id', o.id, 'policy_id', o.policy_id, 'tool_signature', o.tool_signature, 'expires_at', o.expires_at)
          order by o.created_at desc), '[]'::json)
         from policy_overrides o
         where o.revoked_at is null and o.expires_at > now()) as overrides`);
    return result.rows[0];
  });
  const policies = row?.policies ?? [];
  return {
    version: policies.length === 0 ? "" : await sha256Hex(JSON.stringify(policies)),
    policies,
    overrides: (row?.overrides ?? []).map((o) => ({
      id: String(o.id),
      policyId: String(o.policy_id),
      toolSignature: o.tool_signature ?? null,
      expiresAtMs: Date.parse(String(o.expires_at)),
    })),
  };
}

/** Why a presented license stops an otherwise authenticated request, if it does. */
function licenseRefusal(
  presented: PresentedLicense,
  found: LicenseState | "lookup_failed" | undefined,
  tenantId: string,
): LicenseProblem | undefined {
  if (presented.kind === "rejected") return "worker_rejected";
  if (presented.kind !== "verified") return undefined;
  if (found === "lookup_failed") return "lookup_failed";
  if (!found || found.status === "inactive") return "not_found_or_revoked";
  if (found.tenantId !== tenantId) return "tenant_mismatch";
  return undefined;
}

class GateUnavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "GateUnavailable";
  }
}
