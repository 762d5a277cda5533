/**
 * The V1 limit envelopes clients parse (platform.md §4.4–§4.7, clients.md §1.2): REST bodies,
 * their JSON-RPC variants for the MCP server, and the 403 tier-gate builder. Field order follows
 * the reference's Go struct, so bodies match byte for byte.
 */
import { formatCount, TIERS, type Tier } from "../tiers";
import { rfc3339 } from "../time";
import { nextUtcMidnight, secondsUntil } from "./windows";

export const UPGRADE_URL = "https://getaxonflow.com/pricing/";
export const BUY_URL = "https://buy.stripe.com/bJe28qbztcdVchjdkw8k800";
export const DAILY_QUOTA_ERROR = "Daily request limit reached. Resets at midnight UTC.";

/** The Free→Pro block every envelope carries, whatever the caller's tier (the reference does this). */
export function upgradeBlock(wording: string) {
  return { tier: "Pro", wording, compare_url: UPGRADE_URL, buy_url: BUY_URL };
}

export const DAILY_UPGRADE_WORDING = `Daily limit reached on Free tier (${formatCount(TIERS.Free.dailyEvents)} events). Pro raises this to ${formatCount(TIERS.Pro.dailyEvents)}/day. Resets at midnight UTC.`;

export interface LimitEnvelope {
  error: string;
  limit_type: string;
  tier: string;
  limit: number;
  remaining: number;
  window?: string;
  resets_at?: string;
  upgrade: ReturnType<typeof upgradeBlock>;
}

/** An envelope plus the HTTP status and headers it is sent with. */
export interface LimitResponse {
  status: 403 | 429;
  envelope: LimitEnvelope;
  headers: Record<string, string>;
}

function limitHeaders(limitType: string, retryAfter?: number): Record<string, string> {
  const headers: Record<string, string> = {
    "X-Axonflow-Tier-Limit": limitType,
    "X-Axonflow-Upgrade-URL": UPGRADE_URL,
  };
  if (retryAfter !== undefined && retryAfter > 0) headers["Retry-After"] = String(retryAfter);
  return headers;
}

/** 429 daily quota (§4.4): resets at the next UTC midnight. */
export function dailyQuotaResponse(tier: Tier | "", limit: number, nowMs: number): LimitResponse {
  const resetsAt = nextUtcMidnight(nowMs);
  return {
    status: 429,
    envelope: {
      error: DAILY_QUOTA_ERROR,
      limit_type: "daily_quota",
      tier,
      limit,
      remaining: 0,
      window: "daily_utc",
      resets_at: rfc3339(resetsAt),
      upgrade: upgradeBlock(DAILY_UPGRADE_WORDING),
    },
    headers: limitHeaders("daily_quota", secondsUntil(resetsAt, nowMs)),
  };
}

/** 429 tier per-minute limit (§4.6): `tier` is "" when the pre-credential limiter fired. */
export function perMinuteResponse(tier: Tier | "", limit: number, nowMs: number): LimitResponse {
  const wording =
    tier === "Free"
      ? `Per-minute limit reached on Free tier (${limit} requests). Pro raises this to 200/min. Try again in a minute.`
      : `Per-minute limit reached (${limit} requests). Try again in a minute.`;
  return {
    status: 429,
    envelope: {
      error: wording,
      limit_type: "per_minute",
      tier,
      limit,
      remaining: 0,
      window: "minute",
      resets_at: rfc3339(new Date(Math.floor(nowMs / 1000) * 1000 + 60_000)),
      upgrade: upgradeBlock(wording),
    },
    headers: limitHeaders("per_minute", 60),
  };
}

/**
 * "in 2 days 3 hours" etc. (§4.7): "soon" for a missing or past time, hours below a day, days and
 * hours above.
 */
export function relativeTime(until: Date | undefined, nowMs: number): string {
  if (!until || until.getTime() <= nowMs) return "soon";
  const totalHours = Math.floor((until.getTime() - nowMs) / 3_600_000);
  if (totalHours < 1) return "in less than 1 hour";
  if (totalHours < 24) return totalHours === 1 ? "in 1 hour" : `in ${totalHours} hours`;
  const days = Math.floor(totalHours / 24);
  const hours = totalHours % 24;
  const dayText = days === 1 ? "1 day" : `${days} days`;
  if (hours === 0) return `in ${dayText}`;
  return `in ${dayText} ${hours === 1 ? "1 hour" : `${hours} hours`}`;
}

export type TierGate =
  | { limitType: "active_policies"; limit: number }
  | { limitType: "hitl_approvals_window"; limit: number; nextAvailable?: Date }
  | { limitType: "feature_pro_only" }
  | { limitType: string; limit?: number };

/** 403 tier gates of MCP tool dispatch (§4.7); `error` equals `upgrade.wording`. */
export function tierGateResponse(tier: Tier, gate: TierGate, nowMs: number): LimitResponse {
  let wording = "Free tier limit reached. Pro removes this cap.";
  let limit = "limit" in gate && gate.limit !== undefined ? gate.limit : 0;
  let window: string | undefined;
  let resetsAt: Date | undefined;
  if (gate.limitType === "active_policies") {
    wording = "Free tier supports 4 active custom policies. Delete one to make room, or upgrade to Pro for up to 50.";
  } else if (gate.limitType === "hitl_approvals_window") {
    const next = (gate as { nextAvailable?: Date }).nextAvailable;
    wording = `HITL approval limit reached for the last 7 days. Next available ${relativeTime(next, nowMs)}. Pro raises this to 20/week.`;
    window = "rolling_7d";
    resetsAt = next;
  } else if (gate.limitType === "feature_pro_only") {
    wording = "LLM cost pre-flight is a Pro feature — see what a multi-step plan will cost before it runs.";
    limit = 0;
  }
  const envelope: LimitEnvelope = {
    error: wording,
    limit_type: gate.limitType,
    tier,
    limit,
    remaining: 0,
    ...(window ? { window } : {}),
    ...(resetsAt ? { resets_at: rfc3339(resetsAt) } : {}),
    upgrade: upgradeBlock(wording),
  };
  return {
    status: 403,
    envelope,
    headers: limitHeaders(gate.limitType, resetsAt ? secondsUntil(resetsAt, nowMs) : undefined),
  };
}

/** A REST response for an envelope: the envelope as the JSON body. */
export function restLimitResponse(limit: LimitResponse): Response {
  return new Response(JSON.stringify(limit.envelope), {
    status: limit.status,
    headers: { "Content-Type": "application/json", ...limit.headers },
  });
}

/**
 * The MCP-server variant (§4.5): the envelope pretty-printed with two-space indentation as the
 * text of a JSON-RPC result with `isError: true`, same status and headers.
 */
export function jsonRpcLimitResponse(limit: LimitResponse, id: string | number | null): Response {
  const body = {
    jsonrpc: "2.0",
    id,
    result: { content: [{ type: "text", text: JSON.stringify(limit.envelope, null, 2) }], isError: true },
  };
  return new Response(JSON.stringify(body), {
    status: limit.status,
    headers: { "Content-Type": "application/json", ...limit.headers },
  });
}

/**
 * 429 for a decision list longer than the tier shows (the reference's `decision_list_size`): no
 * window, no `resets_at`, no Retry-After; one wording for every tier, as the reference sends it.
 */
export function decisionListLimitResponse(tier: Tier, limit: number): LimitResponse {
  const free = TIERS.Free.decisionList;
  const pro = TIERS.Pro.decisionList;
  const wording = `Free tier shows the last ${free.maxRows} decisions in ${free.windowHours}h. Pro raises this to ${pro.maxRows} decisions in the last ${pro.windowHours / 24} days.`;
  return {
    status: 429,
    envelope: {
      error: wording,
      limit_type: "decision_list_size",
      tier,
      limit,
      remaining: 0,
      upgrade: upgradeBlock(wording),
    },
    headers: limitHeaders("decision_list_size"),
  };
}
