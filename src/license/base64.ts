/**
 * Strict base64 (RFC 4648 §4 "std" and §5 "url", each padded or raw) for the license layer. Strict
 * means canonical: wrong alphabet, misplaced padding and non-zero trailing bits are all rejected,
 * so one byte string has exactly one accepted text form and a token cannot be re-spelled.
 */
const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Which of Go's four encodings (`StdEncoding`, `RawStdEncoding`, `URLEncoding`, `RawURLEncoding`). */
export interface Base64Variant {
  alphabet: "std" | "url";
  padded: boolean;
}

/** Go's `RawURLEncoding`: the token wire format. */
export const RAW_URL: Base64Variant = { alphabet: "url", padded: false };
/** Go's `StdEncoding`: how keys are printed. */
export const STD: Base64Variant = { alphabet: "std", padded: true };

const reverseLookup = (alphabet: string) => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
};
const STD_LOOKUP = reverseLookup(STD_ALPHABET);
const URL_LOOKUP = reverseLookup(URL_ALPHABET);

/** `bytes` as base64 text in the given variant. */
export function encodeBase64(bytes: Uint8Array, variant: Base64Variant): string {
  const alphabet = variant.alphabet === "std" ? STD_ALPHABET : URL_ALPHABET;
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) text += alphabet[(chunk >> (18 - 6 * c)) & 63];
  }
  if (variant.padded) text += "=".repeat((4 - (text.length % 4)) % 4);
  return text;
}

/** The bytes of canonical base64 `text` in the given variant, or `undefined` if it is not that. */
export function decodeBase64(text: string, variant: Base64Variant): Uint8Array | undefined {
  let body = text;
  if (variant.padded) {
    if (text.length % 4 !== 0) return undefined;
    body = text.replace(/={1,2}$/, "");
  }
  if (body.length % 4 === 1) return undefined;
  const lookup = variant.alphabet === "std" ? STD_LOOKUP : URL_LOOKUP;
  const bytes = new Uint8Array(Math.floor((body.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? (lookup[code] ?? -1) : -1;
    if (value < 0) return undefined;
    buffer = ((buffer << 6) | value) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[written++] = (buffer >> bits) & 0xff;
    }
  }
  // Left-over bits must be zero: otherwise two texts would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return bytes;
}
