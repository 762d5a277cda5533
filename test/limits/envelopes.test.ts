import { describe, expect, it } from "vitest";
import {
  dailyQuotaResponse,
  jsonRpcLimitResponse,
  perMinuteResponse,
  relativeTime,
  restLimitResponse,
  tierGateResponse,
} from "../../src/limits/envelopes";

const now = Date.parse("2026-05-06T11:37:03.250Z");

describe("limit envelopes (golden)", () => {
  it("builds the REST daily-quota 429 byte for byte", async () => {
    const response = restLimitResponse(dailyQuotaResponse("Free", 200, now));
    expect(response.status).toBe(429);
    expect(Object.fromEntries(response.headers)).toEqual({
      "content-type": "application/json",
      "x-axonflow-tier-limit": "daily_quota",
      "x-axonflow-upgrade-url": "https://getaxonflow.com/pricing/",
      "retry-after": "44577",
    });
    expect(await response.text()).toBe(
      '{"error":"Daily request limit reached. Resets at midnight UTC.","limit_type":"daily_quota","tier":"Free","limit":200,"remaining":0,"window":"daily_utc","resets_at":"2026-05-07T00:00:00Z","upgrade":{"tier":"Pro","wording":"Daily limit reached on Free tier (200 events). Pro raises this to 1,000/day. Resets at midnight UTC.","compare_url":"https://getaxonflow.com/pricing/","buy_url":"https://buy.stripe.com/bJe28qbztcdVchjdkw8k800"}}',
    );
  });

  it("keeps the Free→Pro upgrade block for Pro callers", () => {
    const { envelope } = dailyQuotaResponse("Pro", 1000, now);
    expect(envelope).toMatchObject({ tier: "Pro", limit: 1000, upgrade: { tier: "Pro" } });
    expect(envelope.upgrade.wording).toContain("Free tier (200 events)");
  });

  it("never answers Retry-After 0 just before midnight", () => {
    expect(dailyQuotaResponse("Free", 200, Date.parse("2026-05-06T23:59:59.900Z")).headers["Retry-After"]).toBe("1");
  });

  it("wraps the envelope pretty-printed in a JSON-RPC result for the MCP server", async () => {
    const response = jsonRpcLimitResponse(dailyQuotaResponse("Free", 200, now), 7);
    expect(response.status).toBe(429);
    const body = (await response.json()) as {
      jsonrpc: string;
      id: number;
      result: { content: { type: string; text: string }[]; isError: boolean };
    };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.id).toBe(7);
    expect(body.result.isError).toBe(true);
    const text = body.result.content[0]?.text ?? "";
    expect(
      text.startsWith(
        '{\n  "error": "Daily request limit reached. Resets at midnight UTC.",\n  "limit_type": "daily_quota",',
      ),
    ).toBe(true);
    expect(JSON.parse(text)).toEqual(dailyQuotaResponse("Free", 200, now).envelope);
  });

  it("builds the per-minute envelopes for Free, Pro and the pre-credential limiter", () => {
    const free = perMinuteResponse("Free", 25, now);
    expect(free.envelope).toEqual({
      error: "Per-minute limit reached on Free tier (25 requests). Pro raises this to 200/min. Try again in a minute.",
      limit_type: "per_minute",
      tier: "Free",
      limit: 25,
      remaining: 0,
      window: "minute",
      resets_at: "2026-05-06T11:38:03Z",
      upgrade: {
        tier: "Pro",
        wording:
          "Per-minute limit reached on Free tier (25 requests). Pro raises this to 200/min. Try again in a minute.",
        compare_url: "https://getaxonflow.com/pricing/",
        buy_url: "https://buy.stripe.com/bJe28qbztcdVchjdkw8k800",
      },
    });
    expect(free.headers).toEqual({
      "X-Axonflow-Tier-Limit": "per_minute",
      "X-Axonflow-Upgrade-URL": "https://getaxonflow.com/pricing/",
      "Retry-After": "60",
    });
    expect(perMinuteResponse("Pro", 200, now).envelope.error).toBe(
      "Per-minute limit reached (200 requests). Try again in a minute.",
    );
    expect(perMinuteResponse("", 200, now).envelope.tier).toBe("");
  });

  it("builds the 403 tier gates with their wording and no window where the reference has none", () => {
    const pro = tierGateResponse("Free", { limitType: "feature_pro_only" }, now);
    expect(pro.status).toBe(403);
    expect(JSON.stringify(pro.envelope)).toBe(
      '{"error":"LLM cost pre-flight is a Pro feature — see what a multi-step plan will cost before it runs.","limit_type":"feature_pro_only","tier":"Free","limit":0,"remaining":0,"upgrade":{"tier":"Pro","wording":"LLM cost pre-flight is a Pro feature — see what a multi-step plan will cost before it runs.","compare_url":"https://getaxonflow.com/pricing/","buy_url":"https://buy.stripe.com/bJe28qbztcdVchjdkw8k800"}}',
    );
    expect(pro.headers["Retry-After"]).toBeUndefined();
    const policies = tierGateResponse("Free", { limitType: "active_policies", limit: 4 }, now);
    expect(policies.envelope.error).toBe(
      "Free tier supports 4 active custom policies. Delete one to make room, or upgrade to Pro for up to 50.",
    );
    expect(policies.envelope.limit).toBe(4);
    const next = new Date(now + (2 * 24 + 3) * 3_600_000 + 120_000);
    const hitl = tierGateResponse("Free", { limitType: "hitl_approvals_window", limit: 2, nextAvailable: next }, now);
    expect(hitl.envelope).toMatchObject({
      error:
        "HITL approval limit reached for the last 7 days. Next available in 2 days 3 hours. Pro raises this to 20/week.",
      window: "rolling_7d",
      resets_at: "2026-05-08T14:39:03Z",
    });
    expect(hitl.headers["X-Axonflow-Tier-Limit"]).toBe("hitl_approvals_window");
    expect(hitl.headers["Retry-After"]).toBe(String(Math.ceil((next.getTime() - now) / 1000)));
    expect(tierGateResponse("Free", { limitType: "other_thing" }, now).envelope.error).toBe(
      "Free tier limit reached. Pro removes this cap.",
    );
  });

  it.each([
    [undefined, "soon"],
    [-1000, "soon"],
    [59 * 60_000, "in less than 1 hour"],
    [60 * 60_000, "in 1 hour"],
    [5 * 3_600_000, "in 5 hours"],
    [24 * 3_600_000, "in 1 day"],
    [25 * 3_600_000, "in 1 day 1 hour"],
    [26 * 3_600_000, "in 1 day 2 hours"],
    [48 * 3_600_000, "in 2 days"],
    [49 * 3_600_000, "in 2 days 1 hour"],
    [75 * 3_600_000, "in 3 days 3 hours"],
  ])("renders %s ms ahead as %j", (offset, text) => {
    expect(relativeTime(offset === undefined ? undefined : new Date(now + offset), now)).toBe(text);
  });
});
