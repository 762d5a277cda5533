/**
 * The tiers and their product numbers (seeds win over the reference; decisions.md "Numbers"). Every
 * limit, retention and the wording built from them come from here.
 */

/** The service tier a request runs at: Free by default, Pro or Premium with an active license. */
export type Tier = "Free" | "Pro" | "Premium";

export interface TierPolicy {
  dailyEvents: number;
  auditRetentionDays: number;
  /** Custom tenant policies active at once (decisions.md "MCP Pro tools"). */
  activePolicies: number;
  /** Human-approval requests per rolling 7 days. */
  approvalsPer7Days: number;
  /** Whether `axonflow_get_cost_estimate` answers (Free gets the `feature_pro_only` envelope). */
  costPreflight: boolean;
  /** How far back, and how many rows at most, the decision list shows. */
  decisionList: { windowHours: number; maxRows: number };
}

export const TIERS: Record<Tier, TierPolicy> = {
  Free: {
    dailyEvents: 200,
    auditRetentionDays: 3,
    activePolicies: 4,
    approvalsPer7Days: 2,
    costPreflight: false,
    decisionList: { windowHours: 24, maxRows: 5 },
  },
  Pro: {
    dailyEvents: 1000,
    auditRetentionDays: 30,
    activePolicies: 50,
    approvalsPer7Days: 20,
    costPreflight: true,
    decisionList: { windowHours: 30 * 24, maxRows: 100 },
  },
  Premium: {
    dailyEvents: 5000,
    auditRetentionDays: 90,
    activePolicies: 50,
    approvalsPer7Days: 20,
    costPreflight: true,
    decisionList: { windowHours: 90 * 24, maxRows: 1000 },
  },
};

export const PRO_OFFER = { price: "$9.99", validityDays: 90 } as const;

/** Registration lifetime and the inactivity rule of the sweep. */
export const REGISTRATION = { validityDays: 365, inactivityMonths: 3, maxActivePerEmail: 3 } as const;

export const PRICING_URL = "https://www.getaxonflow.com/pricing/";

/** `1000` → `1,000`. */
export const formatCount = (n: number) => n.toLocaleString("en-US");
