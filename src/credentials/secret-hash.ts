/**
 * Tenant secrets are 128-bit random values, so a keyed hash is as strong as a slow one and costs
 * microseconds instead of bcrypt's hundreds of milliseconds (decisions.md): stored as
 * `hmac-sha256$<hex HMAC-SHA-256(pepper, secret)>`.
 */
import { hmacSha256Hex, randomHex } from "../crypto";

const PREFIX = "hmac-sha256$";
const encoder = new TextEncoder();

/** The stored form of `secret`. */
export async function hashSecret(secret: string, pepper: string): Promise<string> {
  return PREFIX + (await hmacSha256Hex(pepper, secret));
}

/** Constant-time equality of two stored-form strings (false for different lengths). */
export function storedHashesEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

/** 16 random bytes, lower-case hex: a new tenant secret. */
export function generateSecret(): string {
  return randomHex(16);
}
