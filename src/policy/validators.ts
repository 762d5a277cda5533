/**
 * PII hit validators of the AxonFlow reference (getaxonflow/axonflow, `platform/shared/policy/validators.go`, newest
 * indexed version), re-implemented as our own TypeScript from the reference's observable rules.
 *
 * How the reference uses them (`evaluator.go`, `ScanAccepted` / `MatchContext`): every regex occurrence of a
 * validator-gated row is handed to the validator together with a context of 50 BYTES of UTF-8 either side of it
 * (clamped to the input). A refused occurrence is skipped and the scan goes on. The validator's boolean is the whole
 * verdict: the engine records its confidence but never thresholds it, so only the thresholds INSIDE a validator
 * (SSN, phone, IP) decide anything, and context words that only move confidence elsewhere change nothing.
 *
 * Fidelity notes:
 * - Context keywords are matched against Go's `strings.ToLower` of the window; the only character for which that
 *   differs from JS `toLowerCase` in a way that can create or break an ASCII keyword is U+0130 (Go: `i`).
 * - Label patterns are RE2 `(?i)` patterns: ASCII `\b`, `\s` = `[\t\n\f\r ]`, and case folding that also maps
 *   U+017F to `s` and U+212A to `k`. {@link re2CaseInsensitive} compiles them to JS with exactly that behaviour.
 * - Labels are read from the text left of the FIRST copy of the hit inside the window (reference `leftContextOf`),
 *   so a second identical value near a labelled first one inherits that label. Kept on purpose: it is what decides.
 * - The validators that inspect the hit's own characters (digits, IBAN/PAN/UEN letters) use ASCII rules. The system
 *   patterns they gate only produce ASCII hits; Go's byte-level treatment of non-ASCII hit text is not reproduced.
 */
import type { ValidatorId } from "./system-policies";

/** UTF-8 bytes of context taken either side of a hit (reference `DefaultContextWindow`, applied to Go byte indices). */
const CONTEXT_WINDOW_BYTES = 50;

/**
 * Whether a regex hit is real PII; `text` is the whole scanned string, [start, end) the hit (UTF-16 indices).
 *
 * Mirrors the accept/reject decision of the reference validator named by `validator`, including its context window,
 * context words, label requirements and internal confidence thresholds.
 */
export function acceptsHit(validator: ValidatorId, text: string, start: number, end: number): boolean {
  return CHECKS[validator](text.slice(start, end), contextAround(text, start, end));
}

type Check = (hit: string, context: string) => boolean;

const CHECKS: Readonly<Record<ValidatorId, Check>> = {
  credit_card: creditCard,
  ssn,
  bank_account: bankAccount,
  iban,
  pan,
  aadhaar,
  email,
  phone,
  ip_address: ipAddress,
  passport,
  dob: (hit, context) => DOB_LABEL.test(leftOf(hit, context)),
  singapore_nric: (hit, context) => SG_IC_LABEL.test(leftOf(hit, context)),
  singapore_fin: (hit, context) => SG_IC_LABEL.test(leftOf(hit, context)),
  singapore_uen: singaporeUen,
  singapore_postal: (hit, context) => SG_POSTAL_LABEL.test(leftOf(hit, context)),
};

// ---------------------------------------------------------------------------------------------------------------------
// Context window and keyword helpers

/** The hit plus up to {@link CONTEXT_WINDOW_BYTES} UTF-8 bytes either side, never splitting a character. */
function contextAround(text: string, start: number, end: number): string {
  // Go slices bytes and may cut a character in half; the partial bytes can never be part of an ASCII keyword, a label
  // or a copy of the hit, so dropping the whole character decides the same way.
  let from = start;
  for (let budget = CONTEXT_WINDOW_BYTES; from > 0; ) {
    const pair = from >= 2 && isLowSurrogate(text.charCodeAt(from - 1)) && isHighSurrogate(text.charCodeAt(from - 2));
    const bytes = pair ? 4 : utf8Length(text.charCodeAt(from - 1));
    if (bytes > budget) break;
    budget -= bytes;
    from -= pair ? 2 : 1;
  }
  let to = end;
  for (let budget = CONTEXT_WINDOW_BYTES; to < text.length; ) {
    const pair =
      to + 1 < text.length && isHighSurrogate(text.charCodeAt(to)) && isLowSurrogate(text.charCodeAt(to + 1));
    const bytes = pair ? 4 : utf8Length(text.charCodeAt(to));
    if (bytes > budget) break;
    budget -= bytes;
    to += pair ? 2 : 1;
  }
  return text.slice(from, to);
}

/** UTF-8 length of a BMP code unit; a lone surrogate counts as U+FFFD (3 bytes), what a Go string would hold. */
function utf8Length(unit: number): number {
  return unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Go's `strings.ToLower`, as far as ASCII keywords can tell. */
function goLower(text: string): string {
  // JS lowers U+0130 to "i" + U+0307; Go lowers it to a plain "i" (so "İD" holds "id" there).
  return text.replaceAll("\u0130", "i").toLowerCase();
}

/** Whether lower-cased context contains any of the (ASCII, lower-case) words: plain substrings, as the reference. */
function mentions(lowerContext: string, words: readonly string[]): boolean {
  return words.some((word) => lowerContext.includes(word));
}

/** The window's text left of the first copy of the hit (the whole window if, impossibly, there is none). */
function leftOf(hit: string, context: string): string {
  const at = context.indexOf(hit);
  return at >= 0 ? context.slice(0, at) : context;
}

/** RE2's `\s` class body: JS `\s` would also take \v, NBSP and the other Unicode spaces. */
const RE2_SPACE = String.raw`\t\n\f\r `;

/**
 * Compiles an RE2 `(?i)` pattern written in lower case to a JS RegExp that decides the same on any input.
 *
 * The non-Unicode `i` flag keeps `\b` ASCII as in RE2 but does not fold U+017F/U+212A onto `s`/`k` as RE2 does, so
 * those two letters become explicit classes; `\s` becomes RE2's ASCII set.
 */
function re2CaseInsensitive(source: string): RegExp {
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === "\\") {
      i++;
      const escaped = source.charAt(i);
      out += escaped !== "s" ? c + escaped : inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
    } else if (c === "[" || c === "]") {
      inClass = c === "[";
      out += c;
    } else if (!inClass && c === "s") {
      out += "[s\u017f]";
    } else if (!inClass && c === "k") {
      out += "[k\u212a]";
    } else {
      out += c;
    }
  }
  return new RegExp(out, "i");
}

// ---------------------------------------------------------------------------------------------------------------------
// Label patterns: the label must END the text left of the value (only spacing, a qualifier and a separator between)

const NUMBER_WORD = String.raw`(?:number|no\.?|num)`;
const SEPARATOR = String.raw`[:#=.\-]`;
const AADHAAR_WORD = String.raw`(?:aadhaar|aadhar|uidai|uid|unique\s*id)`;

const PASSPORT_LABEL = re2CaseInsensitive(
  String.raw`\b(?:passport|travel document|travel doc)\b\s*${NUMBER_WORD}?\s*${SEPARATOR}?\s*$`,
);
const DOB_LABEL = re2CaseInsensitive(
  String.raw`\b(?:d\.?o\.?b\.?|date of birth|birth ?date|birthday|born)\b\s*(?:of|on|is|was)?\s*${SEPARATOR}?\s*$`,
);
const AADHAAR_LABEL = re2CaseInsensitive(
  String.raw`\b${AADHAAR_WORD}\b\s*(?:number|no\.?|num|card|id)?\s*${SEPARATOR}?\s*$`,
);
/** The row's `aadhaar[:\s]+…` / `UID[:\s]+…` alternatives put the label at the start of the hit itself. */
const AADHAAR_LABEL_IN_HIT = re2CaseInsensitive(String.raw`^\s*${AADHAAR_WORD}\b`);
/** NRIC/FIN: the bare word "fin" counts only with a qualifier or separator after it ("FIN: F…", "FIN no F…"). */
const SG_IC_LABEL = re2CaseInsensitive(
  String.raw`(?:\b(?:nric|national\s*registration(?:\s*identity)?(?:\s*card)?|foreign\s*identification(?:\s*number)?|identity\s*card)\b\s*${NUMBER_WORD}?\s*${SEPARATOR}?|\bfin\b\s*(?:no\.?|number|num|card|${SEPARATOR}))\s*$`,
);
const SG_POSTAL_LABEL = re2CaseInsensitive(
  String.raw`\b(?:singapore|s'?pore|postal\s*code|post\s*code|postcode|zip\s*code)\b\s*(?:is|:|=|#|-)?\s*$`,
);
const SG_UEN_LABEL = re2CaseInsensitive(
  String.raw`\b(?:uen|unique\s*entity\s*${NUMBER_WORD}?|entity\s*(?:number|no\.?)|business\s*reg(?:istration)?\s*(?:number|no\.?)?|acra)\b\s*(?:is|:|=|#|-)?\s*$`,
);
/** A version label right before a dotted quad makes it a version number, not an address. */
const IP_VERSION_LABEL = re2CaseInsensitive(String.raw`\b(?:version|ver|semver|firmware|revision)\b["':#=.\-\s]*$`);

// ---------------------------------------------------------------------------------------------------------------------
// Validators

function asciiDigits(hit: string): string {
  return hit.replace(/[^0-9]/g, "");
}

function allSame(digits: string): boolean {
  return digits.length > 0 && [...digits].every((d) => d === digits[0]);
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, doubled = false; i >= 0; i--, doubled = !doubled) {
    let d = digits.charCodeAt(i) - 48;
    if (doubled) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** 13–19 digits passing Luhn. Context only moves the (unused) confidence, floored at 0.5, so it never rejects. */
function creditCard(hit: string): boolean {
  const digits = asciiDigits(hit);
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

const SSN_STRONG = ["ssn", "social security", "tax id", "taxpayer"];
const SSN_WEAK = ["employee", "applicant", "patient", "member"];
const SSN_NEGATIVE = [
  "order",
  "invoice",
  "tracking",
  "reference",
  "phone",
  "zip",
  "postal",
  "account",
  "routing",
  "sku",
  "product",
  "item",
];

/** SSA structure (area not 000/666/9xx, group not 00, serial not 0000), then the context score. */
function ssn(hit: string, context: string): boolean {
  const digits = asciiDigits(hit);
  if (digits.length !== 9) return false;
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (Number(digits.slice(3, 5)) === 0 || Number(digits.slice(5)) === 0) return false;
  // Reference score: base 0.6, strong word → 0.95, weak word → at least 0.8, one negative word → −0.3, refused at
  // ≤ 0.3. Only "no positive word and a negative word" (0.6 − 0.3) reaches the threshold.
  const words = goLower(context);
  return mentions(words, SSN_STRONG) || mentions(words, SSN_WEAK) || !mentions(words, SSN_NEGATIVE);
}

/** 9-digit ABA routing number (3-7-1 weights) followed by an 8–17 digit account; context never rejects. */
function bankAccount(hit: string): boolean {
  const digits = asciiDigits(hit);
  if (digits.length < 17 || digits.length > 26) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = weights.reduce((total, weight, i) => total + weight * (digits.charCodeAt(i) - 48), 0);
  return sum % 10 === 0;
}

/** ISO 13616: 15–34 characters (spaces removed), country letters, check digits, mod-97 remainder 1. */
function iban(hit: string): boolean {
  const compact = hit.replaceAll(" ", "").toUpperCase();
  if (compact.length < 15 || compact.length > 34 || !/^[A-Z]{2}[0-9]{2}/.test(compact)) return false;
  let remainder = 0;
  for (const c of compact.slice(4) + compact.slice(0, 4)) {
    // Letters expand to two digits (A=10 … Z=35); anything else contributes its own code minus '0', as the reference.
    const chunk = /[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c;
    for (const d of chunk) remainder = (remainder * 10 + d.charCodeAt(0) - 48) % 97;
  }
  return remainder === 1;
}

/**
 * Indian PAN `AAAPA9999A` with a valid 4th-character holder type. The row's second alternative (`PAN: …`) yields a hit
 * longer than ten characters, which the reference refuses, so only the bare form is ever accepted.
 */
function pan(hit: string): boolean {
  return /^[A-Z]{3}[PCHABGJLFT][A-Z][0-9]{4}[A-Z]$/.test(goTrimSpace(hit).toUpperCase());
}

/**
 * Aadhaar: 12 digits, first 2–9, not one repeated digit, AND an Aadhaar/UID label, either ending the text left of the
 * hit or opening the hit itself (then not glued to a preceding word: "liquid 2345…" does not label it).
 */
function aadhaar(hit: string, context: string): boolean {
  const digits = asciiDigits(hit);
  if (digits.length !== 12 || digits.charAt(0) < "2" || allSame(digits)) return false;
  const left = leftOf(hit, context);
  return AADHAAR_LABEL.test(left) || (AADHAAR_LABEL_IN_HIT.test(hit) && !endsWithWordChar(left));
}

/** Go `unicode.IsLetter || unicode.IsDigit || '_'` on the last character. */
function endsWithWordChar(text: string): boolean {
  const last = Array.from(text).at(-1);
  return last !== undefined && /^[\p{L}\p{Nd}_]$/u.test(last);
}

/** The email re-check is the row's own shape, anchored at both ends; context only moves confidence. */
function email(hit: string): boolean {
  return /^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/.test(hit);
}

const PHONE_POSITIVE = ["phone", "tel", "mobile", "cell", "contact", "call"];
const PHONE_NEGATIVE = ["zip", "postal", "year", "amount", "price", "id", "code"];

/** 7–15 digits, not one repeated digit, then the context score. */
function phone(hit: string, context: string): boolean {
  const digits = asciiDigits(hit);
  if (digits.length < 7 || digits.length > 15 || allSame(digits)) return false;
  // Reference score: base 0.6, positive word → 0.85, one negative word → −0.2, refused below 0.4. In float64
  // 0.6 − 0.2 is 0.39999999999999997, so a negative word without a positive one refuses the hit.
  const words = goLower(context);
  return mentions(words, PHONE_POSITIVE) || !mentions(words, PHONE_NEGATIVE);
}

/**
 * IPv4: four decimal octets 0–255, not a special-use range, and no version label right before it. The remaining
 * score (0.5 private, 0.7/0.85 public) is always above the 0.3 threshold, so context words never reject.
 */
function ipAddress(hit: string, context: string): boolean {
  const parts = hit.split(".");
  if (parts.length !== 4) return false;
  const octets: number[] = [];
  for (const part of parts) {
    // Go strconv.Atoi: optional sign, decimal digits.
    if (!/^[+-]?[0-9]+$/.test(part)) return false;
    const value = Number(part);
    if (value < 0 || value > 255) return false;
    octets.push(value);
  }
  const [a = 0, b = 0, c = 0] = octets;
  const specialUse =
    a === 0 || // this network / unspecified
    a === 127 || // loopback
    a >= 224 || // multicast, reserved, broadcast
    (a === 169 && b === 254) || // link-local
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 192 && b === 0 && c === 2) || // TEST-NET-1
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113); // TEST-NET-3
  return !specialUse && !IP_VERSION_LABEL.test(leftOf(hit, context));
}

/** One or two letters then 6–9 digits (Unicode letters/digits, as the reference), with a passport label before it. */
function passport(hit: string, context: string): boolean {
  let letters = 0;
  let digits = 0;
  for (const c of goTrimSpace(hit)) {
    if (/\p{L}/u.test(c)) {
      if (digits > 0) return false;
      letters++;
    } else if (/\p{Nd}/u.test(c)) {
      digits++;
    } else {
      return false;
    }
  }
  if (letters < 1 || letters > 2 || digits < 6 || digits > 9) return false;
  return PASSPORT_LABEL.test(leftOf(hit, context));
}

/**
 * UEN: the structured `T/S yy XX nnnn K` form stands on its own; the broad `8–9 digits + letter` form needs a UEN /
 * entity / ACRA label. No check letter is verified (the reference has none).
 */
function singaporeUen(hit: string, context: string): boolean {
  if (/^[TS][0-9]{2}[A-Z]{2}[0-9]{4}[A-Z]$/.test(goTrimSpace(hit).toUpperCase())) return true;
  return SG_UEN_LABEL.test(leftOf(hit, context));
}

/** Go's `unicode.IsSpace` set (White_Space); JS `trim` differs on U+0085 and U+FEFF. */
const GO_SPACE = String.raw`[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");

/** Go `strings.TrimSpace`. */
function goTrimSpace(text: string): string {
  return text.replace(GO_TRIM, "");
}
