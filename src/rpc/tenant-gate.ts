/**
 * The TenantGate Durable Object's RPC contract: the methods the Worker calls and every value that
 * crosses the call. src/limits/tenant-gate.ts implements TenantGateRpc and src/env.ts types the
 * TENANT_GATE binding with it, so the bindings (and config, which reads them) never import the
 * Durable Object class.
 */
import type { GovernanceRecord } from "../audit/records";
import type { TenantPolicyRow } from "../policy/tenant-policies";
import type { Tier } from "../tiers";

/** What the Worker may call on a tenant's gate (the object's id is `idFromName(tenant_id)`). */
export interface TenantGateRpc extends Rpc.DurableObjectBranded {
  /** Decides one governed request: pre-auth budgets, credential, secret, tier per-minute, daily quota. */
  admit(request: AdmitRequest): Promise<AdmitVerdict>;
  /** Takes a request's audit and decision rows (and the response to replay) after the response. */
  record(batch: GateRecordBatch): Promise<void>;
  /** Drops the cached credential, license and governance state (revocation, sweep, policy change). */
  invalidate(): Promise<void>;
  /** GDPR erasure: waits for a running flush, then deletes the alarm and all storage. */
  erase(): Promise<void>;
}

/** The limits the Worker sends with each request (gateLimits in src/limits/gate-client.ts reads them from config). */
export interface GateLimits {
  /** `COMMUNITY_SAAS_MINUTE_LIMIT`: per credential, and per (client IP, tenant) for wrong secrets. */
  preAuthPerMinute: number;
  /** Tier per-minute limit (Free 25, Pro/Premium 200). */
  tierPerMinute: Record<Tier, number>;
  /** Daily quota per UTC day (Free 200, Pro 1,000, Premium 5,000). */
  dailyByTier: Record<Tier, number>;
}

/**
 * What the Worker learned from `X-License-Token` (signature, audience, scope and tenant are checked
 * there; the gate only knows whether the jti is still active and for which tier).
 */
export type PresentedLicense =
  | { kind: "none" }
  /** Past expires_at + grace: the request proceeds as Free. */
  | { kind: "expired" }
  /** Rejected by the Worker; the gate authenticates the credential first, then refuses uncounted. */
  | { kind: "rejected" }
  | { kind: "verified"; jti: string };

export interface AdmitRequest {
  tenantId: string;
  /** `hmac-sha256$…` of the presented secret (the pepper never leaves the Worker). */
  presentedHash: string;
  clientIp: string;
  nowMs: number;
  limits: GateLimits;
  /** False for authenticated routes outside the daily quota (`/api/request`). */
  countsQuota: boolean;
  license: PresentedLicense;
  /** `Idempotency-Key` of a route that replays (scoped by the Worker to route + key). */
  idempotency?: { key: string; fingerprint: string };
  /** MCP session bookkeeping, decided in the same round trip. */
  session?: SessionOp;
  /**
   * Routes that evaluate policies ask for the tenant's governance state; `knownVersion` is the
   * version of the tenant's policies the isolate already holds (their rows are sent only if it differs).
   */
  governance?: { knownVersion?: string };
}

/** An override that is live (not revoked, not expired). */
export interface ActiveOverride {
  id: string;
  policyId: string;
  toolSignature: string | null;
  expiresAtMs: number;
}

/** What the routes that evaluate policies need of the tenant: its own policies and live overrides. */
export interface GovernanceState {
  /** Identifies the tenant's policy rows ("" when it has none). */
  version: string;
  overrides: ActiveOverride[];
  /** The rows, when the isolate's known version differs from `version`. */
  policies?: TenantPolicyRow[];
}

export type SessionOp =
  | ({ op: "create" } & SessionRecord)
  /** `DELETE` with `Mcp-Session-Id`. */
  | { op: "end"; id: string };

export interface Admitted {
  kind: "admitted";
  orgId: string;
  tier: Tier;
  dbQueries: number;
  /** Requests counted today (UTC), this one included. */
  dailyCount: number;
  /** Present when the request named an idempotency key. */
  idempotency?: IdempotencyLookup;
  /** Present for `end`: whether the session was live. */
  session?: "live" | "unknown";
  /** Present when the request asked for it. */
  governance?: GovernanceState;
}

/** What a governed request leaves behind, sent after the response (one RPC). */
export interface GateRecordBatch {
  records: GovernanceRecord[];
  idempotency?: { key: string; fingerprint: string; response: StoredResponse };
}

export type AdmitVerdict =
  | Admitted
  | { kind: "rejected"; terminated: boolean; dbQueries: number }
  | { kind: "pre_auth_limited"; limit: number }
  | { kind: "per_minute"; tier: Tier; limit: number; dbQueries: number }
  | { kind: "daily_quota"; tier: Tier; limit: number; dbQueries: number }
  /** The credential is fine but the license is not: refused before any counting. */
  | { kind: "license_refused"; problem: LicenseProblem; dbQueries: number }
  | { kind: "unavailable" };

export type LicenseProblem = "worker_rejected" | "not_found_or_revoked" | "tenant_mismatch" | "lookup_failed";

/** A response kept for replay. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What the gate knows about an idempotency key. */
export type IdempotencyLookup =
  | { kind: "none" }
  | { kind: "replay"; response: StoredResponse }
  /** The key was used for a different request (another route or body). */
  | { kind: "mismatch" };

export interface SessionRecord {
  id: string;
  protocolVersion: string;
  clientName: string;
}
