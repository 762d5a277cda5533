/**
 * Redaction of matched spans (the reference's `GetRedactionStrategy`): critical PII and
 * non-global PII keep the first and last character, contact data keeps two at each end, prompt
 * injections lose their whole sentence or line, anything else becomes `[REDACTED:<type>]`.
 */
import type { Policy } from "./posture";

export type RedactionStrategy = "mask" | "partial" | "remove" | "remove_statement";

export interface Span {
  start: number;
  end: number;
  policy: Policy;
}

/** At most this many spans are rewritten in one text (the reference's MCP cap). */
export const MAX_REDACTIONS = 100;

const MASKED_REGIONAL_PII = new Set(["pii-us", "pii-india", "pii-eu", "pii-singapore"]);

export function redactionStrategy(policy: Pick<Policy, "category" | "severity">): RedactionStrategy {
  if (policy.category === "security-dangerous") return "remove_statement";
  if (policy.severity === "critical" || MASKED_REGIONAL_PII.has(policy.category)) return "mask";
  if (policy.category === "pii-global") return policy.severity === "high" ? "mask" : "partial";
  return "remove";
}

function mask(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 4) return "*".repeat(chars.length);
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars.at(-1)}`;
}

function partial(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 6) return mask(text);
  return `${chars.slice(0, 2).join("")}${"*".repeat(chars.length - 4)}${chars.slice(-2).join("")}`;
}

/** The PII token of a policy id (`sys_pii_credit_card` → `credit_card`), else its category. */
function redactionType(policy: Policy): string {
  const match = /^sys_pii_(.+)$/.exec(policy.id);
  return match?.[1] ?? policy.category;
}

/** The sentence or line around [start, end): boundaries are line breaks and `.`, `!`, `?`, `;` before a space. */
function statementBounds(text: string, start: number, end: number): [number, number] {
  let from = start;
  while (from > 0) {
    const prev = text[from - 1] as string;
    if (prev === "\n" || (/[.!?;]/.test(text[from - 2] ?? "") && /\s/.test(prev))) break;
    from--;
  }
  let to = end;
  while (to < text.length) {
    const ch = text[to] as string;
    if (ch === "\n") break;
    if (/[.!?;]/.test(ch) && (to + 1 >= text.length || /\s/.test(text[to + 1] as string))) {
      to++;
      break;
    }
    to++;
  }
  return [from, to];
}

/**
 * Rewrites the spans of `text` (earliest first; a span overlapping an earlier one is skipped) and
 * returns the new text, or the same text when no span applies.
 */
export function applyRedactions(text: string, spans: readonly Span[]): string {
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let cursor = 0;
  let applied = 0;
  for (const span of ordered) {
    if (applied >= MAX_REDACTIONS) break;
    const strategy = redactionStrategy(span.policy);
    const [from, to] =
      strategy === "remove_statement" ? statementBounds(text, span.start, span.end) : [span.start, span.end];
    if (from < cursor) continue;
    const original = text.slice(from, to);
    out += text.slice(cursor, from);
    if (strategy === "mask") out += mask(original);
    else if (strategy === "partial") out += partial(original);
    else if (strategy === "remove") out += `[REDACTED:${redactionType(span.policy)}]`;
    cursor = to;
    applied++;
  }
  return applied === 0 ? text : out + text.slice(cursor);
}
