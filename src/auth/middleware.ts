/**
 * Tenant authentication for every governed route (platform.md §1.3 with the limits of §4): parse
 * Basic, hash the presented secret, then one round trip to the tenant's gate, which checks the
 * pre-auth budgets, the (cached) credential, the tier per-minute limit and the daily quota.
 * `authenticateTenant` returns a typed outcome so each wire format (REST here, JSON-RPC in the
 * MCP server) maps failures its own way; `requireTenant` is the REST middleware.
 */
import type { Context, MiddlewareHandler } from "hono";
import { hashSecret } from "../credentials/secret-hash";
import { sha256Hex } from "../crypto";
import { clientIp } from "../http/client-ip";
import type { AppEnv, Identity } from "../http/context";
import { defer } from "../http/defer";
import { errorA, SERVICE_UNAVAILABLE } from "../http/errors";
import { errorMessage } from "../http/log";
import { LICENSE_LOOKUP_REJECTIONS, verifyPresentedToken } from "../license/verify";
import { blockedIpRetryAfter, rememberBlockedIp } from "../limits/auth-failure-memo";
import { recalledDenial, rememberDenial } from "../limits/deny-memo";
import { dailyQuotaResponse, type LimitResponse, perMinuteResponse, restLimitResponse } from "../limits/envelopes";
import { admitThroughGate, gateLimits, recordThroughGate } from "../limits/gate-client";
import { AUTH_FAILURE_BUDGET, consumeIpBudget } from "../limits/ip-limiter";
import { nextUtcMidnight } from "../limits/windows";
import { cachedTenantVersion } from "../policy/tenant-policies";
import type {
  Admitted,
  GateRecordBatch,
  GovernanceState,
  IdempotencyLookup,
  LicenseProblem,
  PresentedLicense,
  SessionOp,
} from "../rpc/tenant-gate";
import type { Tier } from "../tiers";
import { parseBasicAuthorization } from "./basic";
import { AUTH_MESSAGES, UPGRADE_HINT } from "./messages";

export type AuthFailure =
  | { kind: "unauthenticated"; message: string }
  /** A license problem (platform.md §2.6): shape A with its own status. */
  | { kind: "license"; status: 401 | 403 | 503; message: string }
  /** The pre-auth per-credential limit (§1.3 step 2), before the tier is known. */
  | { kind: "rate_limited"; message: string; limit: number; retryAfterSeconds: number }
  | { kind: "limit"; limit: LimitResponse }
  | { kind: "unavailable" };

export type AuthOutcome =
  | {
      ok: true;
      identity: Identity;
      licenseExpired: boolean;
      /** Present when the options asked for an idempotency key. */
      idempotency?: IdempotencyLookup;
      /** Present when the options ended a session. */
      session?: Admitted["session"];
      quota: { used: number; limit: number };
      /** Present when the options asked for it. */
      governance?: GovernanceState;
    }
  | { ok: false; failure: AuthFailure };

export interface AuthOptions {
  /** False for authenticated routes outside the daily quota (`/api/request`). */
  countsQuota: boolean;
  /** Looks this key up in the same gate round trip (the Worker scopes it to route and body). */
  idempotency?: { key: string; fingerprint: string };
  session?: SessionOp;
  /** Routes that evaluate policies: fetch the tenant's own policies and overrides in the same round trip. */
  governance?: boolean;
}

interface LicenseCheck {
  presented: PresentedLicense;
  /**
   * The Worker's own rejection (signature, audience, scope, tenant), shown once the credential
   * passes. A rejected token without one could not be judged: no verification key is configured.
   */
  rejection?: { status: 401 | 403; message: string };
}

/** Verifies `X-License-Token` in the Worker (WebCrypto, memoised per isolate). */
async function checkLicenseToken(
  c: Context<AppEnv>,
  token: string,
  tenantId: string,
  nowMs: number,
): Promise<LicenseCheck> {
  const keyring = c.var.config.keyring;
  if (!keyring) {
    c.var.log.log("fatal", "license_verification_unconfigured", {
      detail: "AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY is not set",
    });
    return { presented: { kind: "rejected" } };
  }
  const verdict = await verifyPresentedToken({
    token,
    clientHeader: c.req.header("X-Axonflow-Client"),
    authTenantId: tenantId,
    keyring,
    now: new Date(nowMs),
  });
  if (!verdict.ok)
    return { presented: { kind: "rejected" }, rejection: { status: verdict.status, message: verdict.message } };
  return { presented: verdict.expired ? { kind: "expired" } : { kind: "verified", jti: verdict.claims.jti } };
}

function licenseFailure(
  problem: LicenseProblem,
  check: LicenseCheck | undefined,
  presented: PresentedLicense,
): AuthFailure {
  switch (problem) {
    case "worker_rejected":
      return check?.rejection
        ? { kind: "license", ...check.rejection }
        : { kind: "license", status: 503, message: "license_verification_unavailable" };
    case "not_found_or_revoked":
      return { kind: "license", ...LICENSE_LOOKUP_REJECTIONS.notFoundOrRevoked };
    case "tenant_mismatch":
      return { kind: "license", ...LICENSE_LOOKUP_REJECTIONS.tenantMismatch };
    case "lookup_failed":
      return {
        kind: "license",
        ...LICENSE_LOOKUP_REJECTIONS.unavailable(presented.kind === "verified" ? presented.jti : ""),
      };
  }
}

/** The pre-auth 429 (platform.md §2.5 wording): a credential's budget, or an IP's failed attempts. */
function preAuthLimited(limit: number, retryAfterSeconds: number): AuthOutcome {
  return {
    ok: false,
    failure: {
      kind: "rate_limited",
      message: `Rate limit exceeded (${limit} req/min). Try again shortly.`,
      limit,
      retryAfterSeconds,
    },
  };
}

/** `tier` is "" when it could not be resolved (the gate was unreachable). */
function quotaDenied(tier: Tier | "", limit: number, nowMs: number): AuthOutcome {
  return { ok: false, failure: { kind: "limit", limit: dailyQuotaResponse(tier, limit, nowMs) } };
}

export async function authenticateTenant(c: Context<AppEnv>, options: AuthOptions): Promise<AuthOutcome> {
  const credentials = parseBasicAuthorization(c.req.header("Authorization"));
  if (!credentials) return { ok: false, failure: { kind: "unauthenticated", message: AUTH_MESSAGES.missing } };

  const { config, log } = c.var;
  const nowMs = Date.now();
  const { tenantId } = credentials;
  const presentedHash = await hashSecret(credentials.secret, config.AXONFLOW_SECRET_PEPPER);

  const token = c.req.header("X-License-Token")?.trim();
  const licenseCheck = token ? await checkLicenseToken(c, token, tenantId, nowMs) : undefined;
  const license: PresentedLicense = licenseCheck?.presented ?? { kind: "none" };

  const ip = clientIp(c);
  const blockedFor = blockedIpRetryAfter(ip, nowMs);
  if (blockedFor > 0) return preAuthLimited(AUTH_FAILURE_BUDGET.limit, blockedFor);

  if (options.countsQuota) {
    const denial = recalledDenial(tenantId, presentedHash, license, nowMs);
    if (denial) return quotaDenied(denial.tier, denial.limit, nowMs);
  }

  c.var.cost.doCalls++;
  const verdict = await admitThroughGate(c.env, {
    tenantId,
    presentedHash,
    clientIp: ip,
    nowMs,
    limits: gateLimits(config),
    countsQuota: options.countsQuota,
    license,
    idempotency: options.idempotency,
    session: options.session,
    governance: options.governance ? { knownVersion: cachedTenantVersion(tenantId) } : undefined,
  });
  if ("dbQueries" in verdict) c.var.cost.dbQueries += verdict.dbQueries;

  switch (verdict.kind) {
    case "admitted": {
      const identity: Identity = { tenantId, clientId: tenantId, orgId: verdict.orgId, tier: verdict.tier };
      const licenseExpired = license.kind === "expired";
      if (licenseExpired) log.log("info", "license_expired_fallback", { tenantId });
      return {
        ok: true,
        identity,
        licenseExpired,
        idempotency: verdict.idempotency,
        session: verdict.session,
        quota: { used: verdict.dailyCount, limit: gateLimits(config).dailyByTier[verdict.tier] },
        governance: verdict.governance,
      };
    }
    case "rejected": {
      log.log("info", "auth_rejected", { tenantId, terminated: verdict.terminated });
      c.var.cost.doCalls++;
      const budget = await consumeIpBudget(c.env, AUTH_FAILURE_BUDGET, ip, nowMs);
      if (!budget.allowed) {
        rememberBlockedIp(ip, nowMs + budget.retryAfterSeconds * 1000);
        log.log("warn", "auth_failures_limited", { retryAfterSeconds: budget.retryAfterSeconds });
        return preAuthLimited(AUTH_FAILURE_BUDGET.limit, budget.retryAfterSeconds);
      }
      return {
        ok: false,
        failure: {
          kind: "unauthenticated",
          message: verdict.terminated ? AUTH_MESSAGES.terminated : AUTH_MESSAGES.invalid,
        },
      };
    }
    case "pre_auth_limited":
      return preAuthLimited(verdict.limit, 60);
    case "per_minute":
      return { ok: false, failure: { kind: "limit", limit: perMinuteResponse(verdict.tier, verdict.limit, nowMs) } };
    case "daily_quota":
      rememberDenial(tenantId, presentedHash, license, {
        tier: verdict.tier,
        limit: verdict.limit,
        untilMs: nextUtcMidnight(nowMs).getTime(),
      });
      return quotaDenied(verdict.tier, verdict.limit, nowMs);
    case "license_refused":
      return { ok: false, failure: licenseFailure(verdict.problem, licenseCheck, license) };
    case "unavailable":
      return { ok: false, failure: { kind: "unavailable" } };
    case "gate_failed":
      // Limits fail closed: without the counter nobody can say the request is within quota. The
      // tier is unknown too, which is the case the reference's COMMUNITY_SAAS_DAILY_LIMIT covers.
      log.log("error", "tenant_gate_failed", { tenantId, error: errorMessage(verdict.error) });
      return quotaDenied("", config.COMMUNITY_SAAS_DAILY_LIMIT, nowMs);
  }
}

/** Maps an auth failure to the REST wire format (shape A, or a V1 envelope for limits). */
export function restAuthFailure(c: Context<AppEnv>, failure: AuthFailure): Response {
  switch (failure.kind) {
    case "unauthenticated":
      return errorA(c, 401, failure.message);
    case "license":
      return errorA(c, failure.status, failure.message);
    case "rate_limited":
      return errorA(c, 429, failure.message, { "Retry-After": String(failure.retryAfterSeconds) });
    case "limit":
      return restLimitResponse(failure.limit);
    case "unavailable":
      return errorA(c, 503, SERVICE_UNAVAILABLE);
  }
}

/**
 * Hands a governed request's records to its tenant's gate after the response. A batch the gate
 * could not take is logged with its counts (never its content).
 */
export function deferRecords(c: Context<AppEnv>, tenantId: string, batch: GateRecordBatch): void {
  if (batch.records.length === 0 && !batch.idempotency) return;
  c.var.cost.deferredDoCalls++;
  const log = c.var.log;
  defer(
    c,
    recordThroughGate(c.env, tenantId, batch).then((ok) => {
      if (!ok) log.log("error", "records_not_queued", { records: batch.records.length });
    }),
  );
}

export interface RequireTenantOptions {
  /** False for authenticated routes outside the daily quota (`/api/request`). */
  countsQuota?: boolean;
  /** Replays the stored response for a repeated `Idempotency-Key` (24 h). */
  idempotent?: boolean;
  /** The route evaluates policies: `c.var.governance` gets the tenant's own policies and overrides. */
  governance?: boolean;
}

const IDEMPOTENCY_KEY_MAX = 255;

/** Responses kept for replay: every answer except limits and server errors, which a retry may change. */
const replayable = (status: number) => status < 500 && status !== 429;

/**
 * REST gate of a governed route. On success `c.var.identity` holds the identity derived from the
 * credential alone (caller-supplied `X-Tenant-ID` / `X-Client-ID` never count); the route leaves
 * its audit and decision rows in `c.var.records`, sent to the gate after the response.
 */
export function requireTenant(options: RequireTenantOptions = {}): MiddlewareHandler<AppEnv> {
  const countsQuota = options.countsQuota ?? true;
  return async (c, next) => {
    let idempotency: AuthOptions["idempotency"];
    const key = options.idempotent ? c.req.header("Idempotency-Key")?.trim() : undefined;
    if (key) {
      if (key.length > IDEMPOTENCY_KEY_MAX) {
        return errorA(c, 400, `Idempotency-Key must be at most ${IDEMPOTENCY_KEY_MAX} characters`);
      }
      idempotency = { key, fingerprint: await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`) };
    }
    const outcome = await authenticateTenant(c, { countsQuota, idempotency, governance: options.governance });
    if (!outcome.ok) return restAuthFailure(c, outcome.failure);
    const { identity } = outcome;
    c.set("identity", identity);
    c.set("quota", outcome.quota);
    if (outcome.governance) c.set("governance", outcome.governance);
    c.set("records", []);
    c.set("log", c.var.log.with({ tenantId: identity.tenantId }));

    const stored = outcome.idempotency;
    if (stored?.kind === "mismatch") {
      return errorA(c, 422, "Idempotency-Key was already used for a different request");
    }
    if (stored?.kind === "replay") {
      c.res = new Response(stored.response.body, {
        status: stored.response.status,
        headers: { "Content-Type": stored.response.contentType, "Idempotent-Replayed": "true" },
      });
    } else {
      await next();
      const batch: GateRecordBatch = { records: c.var.records };
      if (idempotency && replayable(c.res.status)) {
        const response = {
          status: c.res.status,
          contentType: c.res.headers.get("Content-Type") ?? "application/json",
          body: await c.res.clone().text(),
        };
        batch.idempotency = { ...idempotency, response };
      }
      deferRecords(c, identity.tenantId, batch);
    }
    setAuthenticatedHeaders(c, outcome.licenseExpired);
  };
}

/** Headers every authenticated answer carries: the expired-license marker and the upgrade hint. */
export function setAuthenticatedHeaders(c: Context<AppEnv>, licenseExpired: boolean): void {
  if (licenseExpired) c.header("X-Axonflow-License-Status", "expired");
  if (!c.req.header("X-Axonflow-Client")?.trim()) c.header("X-Axonflow-Upgrade-Hint", UPGRADE_HINT);
}
