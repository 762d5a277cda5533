/**
 * Bounded body reading. The reference's routes check size at a specific point of their order
 * (after content type and rate limits, before parsing), with route-specific messages, and accept
 * an empty body on some routes whatever the Content-Type says. hono's validator parses JSON only
 * when the Content-Type says so and rejects an empty JSON body, so routes with that contract read
 * their body through these helpers and then validate with zod.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { errorA } from "./errors";

export type BodyRead = { kind: "ok"; text: string } | { kind: "too_large" } | { kind: "read_error" };

/** Reads at most `maxBytes` of the body, stopping as soon as the limit is passed. */
export async function readBodyText(c: Context, maxBytes: number): Promise<BodyRead> {
  const declared = Number(c.req.header("Content-Length"));
  if (Number.isFinite(declared) && declared > maxBytes) return { kind: "too_large" };
  const stream = c.req.raw.body;
  if (!stream) return { kind: "ok", text: "" };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return { kind: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { kind: "read_error" };
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { kind: "ok", text: new TextDecoder().decode(bytes) };
}

export type JsonParse = { kind: "empty" } | { kind: "ok"; value: unknown } | { kind: "invalid" };

/** Parses a body text: blank → empty, else JSON or invalid. */
export function parseJsonText(text: string): JsonParse {
  if (text.trim() === "") return { kind: "empty" };
  try {
    return { kind: "ok", value: JSON.parse(text) };
  } catch {
    return { kind: "invalid" };
  }
}

/** UTF-8 byte length, the unit of the reference's length limits (Go `len(string)`). */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** A route's shape-A messages for the three ways a JSON body can fail before its own checks. */
export interface JsonBodyErrors {
  tooLarge: string;
  readError: string;
  invalidJson: string;
}

/**
 * Reads at most `maxBytes` and decodes the JSON with `schema`, or answers 413/400 shape A with the
 * route's messages. A blank body is decoded as `empty`: undefined (the default) makes it invalid
 * JSON, as the reference's decoder reports EOF; null lets a nullable schema accept it.
 */
export async function readJsonBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  maxBytes: number,
  errors: JsonBodyErrors,
  empty: null | undefined = undefined,
): Promise<{ ok: true; value: T } | Response> {
  const body = await readBodyText(c, maxBytes);
  if (body.kind === "too_large") return errorA(c, 413, errors.tooLarge);
  if (body.kind === "read_error") return errorA(c, 400, errors.readError);
  const json = parseJsonText(body.text);
  if (json.kind === "invalid") return errorA(c, 400, errors.invalidJson);
  const parsed = schema.safeParse(json.kind === "ok" ? json.value : empty);
  if (!parsed.success) return errorA(c, 400, errors.invalidJson);
  return { ok: true, value: parsed.data };
}
