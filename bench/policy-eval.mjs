// Policy evaluation cost in Node, with the Worker's own src/policy code, three ways:
//   naive_us_per_kb      every request-plane pattern run alone on a 1 KB statement
//   prefilter_us_per_kb  literal prefilter (bench/lib/literal-prefilter.ts) in front of per-pattern runs
//   engine_us_per_kb     the shipped engine: one RE2Set pass, then only the matched patterns alone
//   engine_compile_ms    first evaluation in a fresh process (set compile + first pass): a cold isolate's cost
//   linear_ratio_100k_10k  engine time on 100 KB over 10 KB pathological input (linear ≈ 10)
//   prefilter_misses     corpus statements where the prefilter would skip a pattern that matches (must be 0)
// Run: `tsx bench/policy-eval.mjs`. Bounded: a few seconds.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { RE2JS } from "re2js";
import { evaluateRequest } from "../src/policy/engine.ts";
import { systemPolicies } from "../src/policy/posture.ts";
import { prefilterText, requiredLiterals } from "./lib/literal-prefilter.ts";

const scope = "mcp:request";
const connectorType = "claude_code.Bash";
const policies = systemPolicies("block");

const started = performance.now();
evaluateRequest([policies], scope, { statement: "git status", connectorType });
const engineCompileMs = performance.now() - started;

const corpus = (file) =>
  JSON.parse(readFileSync(new URL(`../test/fixtures/policy-corpus/${file}`, import.meta.url), "utf8")).map(
    (entry) => entry.statement,
  );
const benign = corpus("benign.json");
// 1 KB statements built from everyday developer text (what the hooks send most): the first half
// warms each method up (the engine's DFA builds its states lazily, as a long-lived isolate's has),
// the other half, texts none of them has seen, is measured.
const texts = Array.from({ length: 400 }, (_, i) => {
  let text = "";
  for (let j = i * 7; text.length < 1024; j++) text += `${benign[j % benign.length]}\n`;
  return text.slice(0, 1024);
});
const warmup = texts.slice(0, 200);
const statements = texts.slice(200);

const admitted = policies.filter((p) => p.actions[scope] !== undefined);
const compiled = admitted.map((p) => ({
  policy: p,
  regex: RE2JS.compile(p.pattern),
  literals: requiredLiterals(p.pattern),
}));

function perKb(run) {
  for (const s of warmup) run(s);
  const start = performance.now();
  for (const s of statements) run(s);
  return ((performance.now() - start) * 1000) / statements.length;
}

const naive = perKb((s) => compiled.filter((c) => c.regex.test(s)).length);
const prefilter = perKb((s) => {
  const lower = prefilterText(s);
  return compiled.filter((c) => (!c.literals || c.literals.some((l) => lower.includes(l))) && c.regex.test(s)).length;
});
const engine = perKb((s) => evaluateRequest([policies], scope, { statement: s, connectorType }).matches.length);

const timeEngine = (input) => {
  const start = performance.now();
  evaluateRequest([policies], "proxy_request:request", { statement: input, connectorType: "" });
  return performance.now() - start;
};
const patho = (n) => `${"' OR 1=1 -- /* ".repeat(n / 16)}${"a".repeat(n % 16)}`;
timeEngine(patho(10_240));
const small = Math.min(timeEngine(patho(10_240)), timeEngine(patho(10_240)));
const large = Math.min(timeEngine(patho(102_400)), timeEngine(patho(102_400)));

let misses = 0;
for (const s of [...benign, ...corpus("attacks.json"), ...corpus("known-false-positives.json")]) {
  const lower = prefilterText(s);
  for (const c of compiled) if (c.literals && !c.literals.some((l) => lower.includes(l)) && c.regex.test(s)) misses++;
}

const fixed = (n) => n.toFixed(1);
console.log(`policies=${admitted.length}`);
console.log(`naive_us_per_kb=${fixed(naive)}`);
console.log(`prefilter_us_per_kb=${fixed(prefilter)}`);
console.log(`engine_us_per_kb=${fixed(engine)}`);
console.log(`engine_compile_ms=${fixed(engineCompileMs)}`);
console.log(`linear_ratio_100k_10k=${fixed(large / small)}`);
console.log(`prefilter_misses=${misses}`);
