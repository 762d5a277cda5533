import { byteLength } from "./body";

/**
 * The reference's `looksLikeEmail`: 5..255 bytes, an `@` at index ≥ 1 that leaves at least three
 * characters after it, and a dot in the domain. Deliberately no stricter.
 */
export function looksLikeEmail(email: string): boolean {
  const length = byteLength(email);
  if (length < 5 || length > 255) return false;
  const at = email.lastIndexOf("@");
  if (at < 1 || at >= email.length - 3) return false;
  return email.slice(at + 1).includes(".");
}
