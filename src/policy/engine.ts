/**
 * The policy engine: evaluates a statement (request phase) or a tool output (response phase)
 * against the policies of one call site. Patterns run on re2js (linear time, RE2 syntax like Go),
 * SET_SIZE at a time in an `RE2Set` (one pass over the text per set); only the patterns that
 * matched are run again alone, for the position of a hit, its validator and redaction. Compiled
 * sets and regexes live for the isolate; nothing here does I/O.
 */
import { RE2JS, RE2Set } from "re2js";
import { appliesTo, type Policy } from "./posture";
import { applyRedactions, type Span } from "./redact";
import { type PlaneScope, type PolicyAction, type RiskLevel, topRiskLevel } from "./system-policies";
import { acceptsHit } from "./validators";

export interface PolicyMatch {
  policy: Policy;
  action: PolicyAction;
  /** Where the first accepted hit is, in the statement or in `parameter '<key>'`. */
  field?: string;
}

export interface RequestEvaluation {
  /** Rows loaded for the phase before the call site's filters (the reference's count). */
  policiesEvaluated: number;
  /** Every matched row, in evaluation order (block, warn, log and redact alike). */
  matches: PolicyMatch[];
  /** The first blocking match: the verdict. */
  blocking?: PolicyMatch;
  blockReason?: string;
  riskLevel?: RiskLevel;
  /** The statement with its request-phase redactions applied, when there were any and nothing blocked. */
  redactedStatement?: string;
}

export interface ResponseEvaluation {
  policiesEvaluated: number;
  matches: PolicyMatch[];
  blocking?: PolicyMatch;
  blockReason?: string;
  riskLevel?: RiskLevel;
  /** The message or rows with redactions applied, present only when something was redacted. */
  redactedMessage?: string;
  redactedRows?: unknown[];
}

/**
 * Patterns per RE2Set. One set of all ~85 system patterns has a DFA too large to keep: on text it
 * has not seen it keeps resetting its cache and falls back to the NFA, about 100× slower. Sets of
 * 16 keep their DFAs small (bench/policy-eval.mjs measures it on unseen text).
 */
const SET_SIZE = 16;

const phaseOf = (scope: PlaneScope) => (scope.endsWith(":response") ? "response" : "request");

/** One call site's policies, compiled on first use. */
class CompiledScope {
  readonly policies: Policy[];
  #sets: RE2Set[] | undefined;
  readonly #regexes = new Map<Policy, RE2JS>();

  constructor(
    all: readonly Policy[],
    readonly scope: PlaneScope,
  ) {
    this.policies = all.filter((p) => p.actions[scope] !== undefined);
  }

  /** The rows with at least one hit in `text` (validators not yet applied), in evaluation order. */
  candidates(text: string): Policy[] {
    if (this.policies.length === 0 || text === "") return [];
    this.#sets ??= this.#compileSets();
    const found: Policy[] = [];
    this.#sets.forEach((set, n) => {
      for (const i of set.match(text).sort((a, b) => a - b)) found.push(this.policies[n * SET_SIZE + i] as Policy);
    });
    return found;
  }

  #compileSets(): RE2Set[] {
    const sets: RE2Set[] = [];
    for (let start = 0; start < this.policies.length; start += SET_SIZE) {
      const set = new RE2Set();
      for (const policy of this.policies.slice(start, start + SET_SIZE)) set.add(policy.pattern);
      set.compile();
      sets.push(set);
    }
    return sets;
  }

  #regex(policy: Policy): RE2JS {
    let regex = this.#regexes.get(policy);
    if (!regex) {
      regex = RE2JS.compile(policy.pattern);
      this.#regexes.set(policy, regex);
    }
    return regex;
  }

  /** Hits of `policy` in `text` that its validator accepts (the first only, unless `all`). */
  hits(policy: Policy, text: string, all: boolean): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    const matcher = this.#regex(policy).matcher(text);
    while (matcher.find()) {
      const [start, end] = [matcher.start(), matcher.end()];
      if (end === start) continue;
      if (policy.validator && !acceptsHit(policy.validator, text, start, end)) continue;
      found.push([start, end]);
      if (!all) break;
    }
    return found;
  }
}

const compiled = new WeakMap<readonly Policy[], Map<PlaneScope, CompiledScope>>();

function compiledScope(policies: readonly Policy[], scope: PlaneScope): CompiledScope {
  let byScope = compiled.get(policies);
  if (!byScope) {
    byScope = new Map();
    compiled.set(policies, byScope);
  }
  let entry = byScope.get(scope);
  if (!entry) {
    entry = new CompiledScope(policies, scope);
    byScope.set(scope, entry);
  }
  return entry;
}

/** The policy sets one call evaluates together: the system's, then the tenant's own. */
export type PolicyGroups = readonly (readonly Policy[])[];

/** The reference's `policies_evaluated`: rows loaded for the phase (activated integration rows included). */
function loadedCount(groups: PolicyGroups, scope: PlaneScope, connectorType: string): number {
  const phase = phaseOf(scope);
  let count = 0;
  for (const policies of groups) {
    count += policies.filter(
      (p) => (p.phase === "both" || p.phase === phase) && (!p.activatedBy || appliesTo(p, connectorType)),
    ).length;
  }
  return count;
}

/** Evaluation order across groups: priority first, then the group, then the row's place in it. */
function inEvaluationOrder(groups: PolicyGroups, matches: PolicyMatch[]): PolicyMatch[] {
  const rank = (policy: Policy): [number, number] => {
    for (let g = 0; g < groups.length; g++) {
      const i = (groups[g] as readonly Policy[]).indexOf(policy);
      if (i >= 0) return [g, i];
    }
    return [groups.length, 0];
  };
  return matches
    .map((match) => ({ match, at: rank(match.policy) }))
    .sort((a, b) => b.match.policy.priority - a.match.policy.priority || a.at[0] - b.at[0] || a.at[1] - b.at[1])
    .map(({ match }) => match);
}

/** `block_reason` of a blocking match: the policy's description (the reference's wording), or where it matched. */
export function blockReasonFor(match: PolicyMatch): string {
  const { policy, field } = match;
  if (field) return `Blocked by policy ${policy.name} in ${field}`;
  return policy.description || `Blocked by policy: ${policy.name}`;
}

function verdict(matches: PolicyMatch[]) {
  const blocking = matches.find((m) => m.action === "block");
  return {
    blocking,
    blockReason: blocking ? blockReasonFor(blocking) : undefined,
    riskLevel: topRiskLevel(matches.map((m) => m.policy.riskLevel)),
  };
}

/** String form of a parameter value, as scanned. */
const scanText = (value: unknown) => (typeof value === "string" ? value : (JSON.stringify(value) ?? ""));

export interface RequestInput {
  statement: string;
  connectorType: string;
  /** Tool parameters: each top-level value is scanned on its own, keys in sorted order. */
  parameters?: Record<string, unknown>;
}

/**
 * Request phase (check_policy, check-input, pre-check, /api/request). Every row runs; the first
 * block in evaluation order is the verdict.
 */
export function evaluateRequest(groups: PolicyGroups, scope: PlaneScope, input: RequestInput): RequestEvaluation {
  const sites = groups.map((policies) => compiledScope(policies, scope));
  const found: PolicyMatch[] = [];
  const seen = new Set<string>();
  const redactions: Span[] = [];

  const scan = (text: string, field?: string) => {
    for (const site of sites) {
      for (const policy of site.candidates(text)) {
        if (seen.has(policy.id) || !appliesTo(policy, input.connectorType)) continue;
        const action = policy.actions[scope] as PolicyAction;
        const hits = site.hits(policy, text, action === "redact" && field === undefined);
        if (hits.length === 0) continue;
        seen.add(policy.id);
        found.push({ policy, action, ...(field ? { field } : {}) });
        if (action === "redact" && field === undefined) {
          for (const [start, end] of hits) redactions.push({ start, end, policy });
        }
      }
    }
  };
  scan(input.statement);
  for (const key of Object.keys(input.parameters ?? {}).sort()) {
    scan(scanText(input.parameters?.[key]), `parameter '${key}'`);
  }
  const matches = inEvaluationOrder(groups, found);

  const result: RequestEvaluation = {
    policiesEvaluated: loadedCount(groups, scope, input.connectorType),
    matches,
    ...verdict(matches),
  };
  if (!result.blocking && redactions.length > 0) {
    result.redactedStatement = applyRedactions(input.statement, redactions);
  }
  return result;
}

export interface ResponseInput {
  connectorType: string;
  message?: string;
  rows?: unknown[];
}

/** Every string leaf of a JSON value, with a setter to replace it. */
function stringLeaves(value: unknown, visit: (text: string) => string): unknown {
  if (typeof value === "string") return visit(value);
  if (typeof value === "number" || typeof value === "bigint") {
    const text = String(value);
    const replaced = visit(text);
    return replaced === text ? value : replaced;
  }
  if (Array.isArray(value)) return value.map((item) => stringLeaves(item, visit));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringLeaves(v, visit)]));
  }
  return value;
}

/**
 * Response phase (check_output, check-output): the message, or every string value of the rows,
 * is scanned; `redact` rows are rewritten everywhere they are accepted, unless a row blocks.
 */
export function evaluateResponse(groups: PolicyGroups, scope: PlaneScope, input: ResponseInput): ResponseEvaluation {
  const sites = groups.map((policies) => compiledScope(policies, scope));
  const matched = new Map<string, PolicyMatch>();
  let redactedAny = false;

  /** Scans one text, records matches, and returns it redacted. */
  const process = (text: string): string => {
    const spans: Span[] = [];
    for (const site of sites) {
      for (const policy of site.candidates(text)) {
        if (!appliesTo(policy, input.connectorType)) continue;
        const action = policy.actions[scope] as PolicyAction;
        const hits = site.hits(policy, text, action === "redact");
        if (hits.length === 0) continue;
        if (!matched.has(policy.id)) matched.set(policy.id, { policy, action });
        if (action === "redact") for (const [start, end] of hits) spans.push({ start, end, policy });
      }
    }
    if (spans.length === 0) return text;
    redactedAny = true;
    return applyRedactions(text, spans);
  };

  const redactedMessage = input.message === undefined ? undefined : process(input.message);
  const redactedRows =
    input.rows === undefined ? undefined : (input.rows.map((row) => stringLeaves(row, process)) as unknown[]);
  const matches = inEvaluationOrder(groups, [...matched.values()]);
  const result: ResponseEvaluation = {
    policiesEvaluated: loadedCount(groups, scope, input.connectorType),
    matches,
    ...verdict(matches),
  };
  if (!result.blocking && redactedAny) {
    if (redactedMessage !== undefined) result.redactedMessage = redactedMessage;
    if (redactedRows !== undefined) result.redactedRows = redactedRows;
  }
  return result;
}
