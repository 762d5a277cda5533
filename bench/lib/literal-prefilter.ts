/**
 * A literal prefilter for policy patterns (the idea of RE2's FilteredRE2), the alternative the
 * engine was measured against (bench/policy-eval.mjs): from each pattern's RE2 syntax we derive a
 * set of lower-case strings of which every match must contain at least one. A statement that
 * contains none of a pattern's strings cannot match it, so only patterns whose strings occur run.
 * Patterns without a usable requirement always run. The engine ships the RE2Set instead (one pass
 * for all patterns, faster warm; see bench/README.md).
 *
 * The analysis is conservative by construction: whenever a construct is not understood it yields
 * "no requirement", which only costs speed, never a missed match. re2js exposes no parse tree, so
 * this small parser reads the syntax itself.
 */

/** Shortest required string worth an `includes` check; shorter ones match almost every input. */
const MIN_LITERAL = 3;
/** Bound on exact-set sizes (cross products of small alternations and classes). */
const MAX_EXACT = 24;

type Node =
  | { t: "lit"; s: string }
  | { t: "any" }
  | { t: "empty" }
  | { t: "cat"; items: Node[] }
  | { t: "alt"; items: Node[] }
  | { t: "rep"; node: Node; min: number; max: number };

/** What must appear in any match of a node. */
interface Info {
  /** Every string the node can match, when that set is small and known. */
  exact: Set<string> | null;
  /** At least one of these occurs in every match; null when nothing is required. */
  any: string[] | null;
}

class Parser {
  #i = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.#alt();
    if (this.#i < this.src.length) throw new Error("unbalanced");
    return node;
  }

  #alt(): Node {
    const items = [this.#cat()];
    while (this.src[this.#i] === "|") {
      this.#i++;
      items.push(this.#cat());
    }
    return items.length === 1 ? (items[0] as Node) : { t: "alt", items };
  }

  #cat(): Node {
    const items: Node[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== "|" && this.src[this.#i] !== ")") {
      const atom = this.#atom();
      if (atom) items.push(this.#repeat(atom));
    }
    return { t: "cat", items };
  }

  #repeat(atom: Node): Node {
    let node = atom;
    for (;;) {
      const ch = this.src[this.#i];
      let min: number;
      let max: number;
      if (ch === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (ch === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (ch === "?") [min, max] = [0, 1];
      else if (ch === "{") {
        const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.#i));
        if (!m) return node; // a literal "{" in RE2
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
        this.#i += m[0].length - 1;
      } else return node;
      this.#i++;
      if (this.src[this.#i] === "?") this.#i++; // lazy: same language
      node = { t: "rep", node, min, max };
    }
  }

  /** One atom, or null for a flag group that only changes flags. */
  #atom(): Node | null {
    const ch = this.src[this.#i++] as string;
    switch (ch) {
      case "(":
        return this.#group();
      case "[":
        return this.#class();
      case ".":
        return { t: "any" };
      case "^":
      case "$":
        return { t: "empty" };
      case "\\":
        return this.#escape();
      default:
        return this.#literal(ch);
    }
  }

  /** Literals are kept lower-case whatever the flags: the search runs on lower-cased text. */
  #literal(ch: string): Node {
    return { t: "lit", s: ch.toLowerCase() };
  }

  /** Groups of every kind; flags (`(?i)`, `(?s:…)`) do not change what must appear in lower case. */
  #group(): Node | null {
    if (this.src[this.#i] === "?") {
      const m = /^\?(?:P?<\w+>|([a-zA-Z-]*)(:|\)))/.exec(this.src.slice(this.#i));
      if (!m) throw new Error("unknown group");
      this.#i += m[0].length;
      if (m[2] === ")") return null;
    }
    const inner = this.#alt();
    if (this.src[this.#i++] !== ")") throw new Error("unbalanced");
    return inner;
  }

  /** A character class: its members when few and printable, else "any character". */
  #class(): Node {
    const start = this.#i;
    if (this.src[this.#i] === "^") this.#i++;
    if (this.src[this.#i] === "]") this.#i++;
    while (this.#i < this.src.length && this.src[this.#i] !== "]") {
      if (this.src[this.#i] === "\\") this.#i++;
      else if (this.src.startsWith("[:", this.#i)) this.#i = this.src.indexOf(":]", this.#i) + 1;
      this.#i++;
    }
    if (this.#i >= this.src.length) throw new Error("unbalanced class");
    const body = this.src.slice(start, this.#i);
    this.#i++;
    if (body.startsWith("^") || body.includes("\\") || body.includes("[:") || /.-./.test(body)) return { t: "any" };
    const members = new Set(Array.from(body, (c) => c.toLowerCase()));
    if (members.size > 8) return { t: "any" };
    return { t: "alt", items: [...members].map((s) => ({ t: "lit", s }) as Node) };
  }

  #escape(): Node {
    const ch = this.src[this.#i++] as string;
    if ("bBAz".includes(ch)) return { t: "empty" };
    if ("dDsSwWpPQCx".includes(ch) || /[0-9]/.test(ch)) {
      if (ch === "x") {
        const m = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{2}))/.exec(this.src.slice(this.#i));
        if (!m) throw new Error("bad \\x");
        this.#i += m[0].length;
        return this.#literal(String.fromCodePoint(Number.parseInt((m[1] ?? m[2]) as string, 16)));
      }
      if (ch === "p" || ch === "P") {
        if (this.src[this.#i] === "{") this.#i = this.src.indexOf("}", this.#i) + 1;
        else this.#i++;
      }
      if (ch === "Q") throw new Error("\\Q is not analysed");
      return { t: "any" };
    }
    const controls: Record<string, string> = { n: "\n", r: "\r", t: "\t", f: "\f", v: "\v", a: "\x07" };
    return this.#literal(controls[ch] ?? ch);
  }
}

const useful = (strings: Iterable<string>): string[] | null => {
  const list = [...new Set(strings)];
  return list.length > 0 && list.every((s) => s.length >= MIN_LITERAL) ? list : null;
};

/** The more selective of two requirements: a requirement beats none; longer shortest-string wins. */
function better(a: string[] | null, b: string[] | null): string[] | null {
  if (!a) return b;
  if (!b) return a;
  const shortest = (x: string[]) => Math.min(...x.map((s) => s.length));
  const [sa, sb] = [shortest(a), shortest(b)];
  if (sa !== sb) return sa > sb ? a : b;
  return a.length <= b.length ? a : b;
}

function cross(a: Set<string>, b: Set<string>): Set<string> | null {
  if (a.size * b.size > MAX_EXACT) return null;
  const out = new Set<string>();
  for (const x of a) for (const y of b) out.add(x + y);
  return out;
}

function info(node: Node): Info {
  switch (node.t) {
    case "lit":
      return { exact: new Set([node.s]), any: null };
    case "empty":
      return { exact: new Set([""]), any: null };
    case "any":
      return { exact: null, any: null };
    case "cat": {
      let run: Set<string> | null = new Set([""]);
      let best: string[] | null = null;
      let exact = true;
      for (const item of node.items) {
        const sub = info(item);
        if (sub.exact && run) {
          const joined = cross(run, sub.exact);
          if (joined) {
            run = joined;
            continue;
          }
        }
        exact = false;
        if (run) best = better(best, useful(run));
        best = better(best, sub.any ?? (sub.exact ? useful(sub.exact) : null));
        run = sub.exact;
      }
      if (exact && run) return { exact: run, any: useful(run) };
      if (run) best = better(best, useful(run));
      return { exact: null, any: best };
    }
    case "alt": {
      const subs = node.items.map(info);
      if (subs.every((s) => s.exact)) {
        const union = new Set(subs.flatMap((s) => [...(s.exact as Set<string>)]));
        if (union.size <= MAX_EXACT) return { exact: union, any: useful(union) };
      }
      const parts = subs.map((s) => s.any ?? (s.exact ? useful(s.exact) : null));
      return { exact: null, any: parts.every(Boolean) ? useful(parts.flat() as string[]) : null };
    }
    case "rep": {
      const sub = info(node.node);
      if (node.min === 0) {
        if (node.max === 1 && sub.exact) {
          const union = new Set([...sub.exact, ""]);
          if (union.size <= MAX_EXACT) return { exact: union, any: null };
        }
        return { exact: null, any: null };
      }
      if (node.min === 1 && node.max === 1) return sub;
      return { exact: null, any: sub.any ?? (sub.exact ? useful(sub.exact) : null) };
    }
  }
}

/**
 * Lower-case strings of which every match of `pattern` (RE2 syntax) contains one, or null when
 * the pattern has no usable requirement (or uses syntax this analysis does not read).
 */
export function requiredLiterals(pattern: string): string[] | null {
  try {
    const literals = info(new Parser(pattern).parse()).any;
    return literals ? [...new Set(literals.map((s) => s.toLowerCase()))] : null;
  } catch {
    return null;
  }
}

/**
 * The text the literals are searched in: lower-cased, with the one fold RE2's `(?i)` makes into
 * ASCII that `toLowerCase` does not (ſ U+017F ↔ s; the Kelvin sign already lower-cases to k).
 */
export function prefilterText(text: string): string {
  const lower = text.toLowerCase();
  return lower.includes("\u017f") ? lower.replaceAll("\u017f", "s") : lower;
}
