/**
 * The Pro tool `axonflow_get_cost_estimate`: what running a plan through an LLM would cost, before
 * it runs. The estimate is the reference's rule of thumb: input tokens ≈ characters / 4 plus a
 * 50-token overhead, output the 4,096-token step budget, priced per 1K tokens by provider and model
 * (list prices as of late 2026; the table is ours and says which entry priced the estimate).
 */
export const DEFAULT_MODEL = "claude-sonnet-4-6";
const OUTPUT_TOKENS = 4096;
const OVERHEAD_TOKENS = 50;

/** USD per 1K tokens, input and output; the first entry whose prefix the model starts with wins. */
const PRICES: ReadonlyArray<{ provider: string; prefix: string; input: number; output: number }> = [
  { provider: "anthropic", prefix: "claude-opus", input: 0.015, output: 0.075 },
  { provider: "anthropic", prefix: "claude-haiku", input: 0.0008, output: 0.004 },
  { provider: "anthropic", prefix: "claude", input: 0.003, output: 0.015 },
  { provider: "openai", prefix: "gpt-4o-mini", input: 0.00015, output: 0.0006 },
  { provider: "openai", prefix: "gpt-4o", input: 0.0025, output: 0.01 },
  { provider: "openai", prefix: "gpt", input: 0.01, output: 0.03 },
  { provider: "google", prefix: "gemini", input: 0.001, output: 0.004 },
  { provider: "mistral", prefix: "mistral", input: 0.002, output: 0.006 },
];

function priceFor(model: string) {
  const lower = model.toLowerCase();
  return PRICES.find((p) => lower.startsWith(p.prefix)) ?? (PRICES[2] as (typeof PRICES)[number]);
}

export function estimateCost(plan: string, model = DEFAULT_MODEL) {
  const price = priceFor(model);
  const inputTokens = Math.ceil(plan.length / 4) + OVERHEAD_TOKENS;
  const cost = (inputTokens / 1000) * price.input + (OUTPUT_TOKENS / 1000) * price.output;
  return {
    currency: "USD",
    estimated_cost_usd: Math.round(cost * 1_000_000) / 1_000_000,
    model,
    plan,
    provider: price.provider,
    tokens_estimate: { input: inputTokens, output: OUTPUT_TOKENS },
    success: true,
  };
}
