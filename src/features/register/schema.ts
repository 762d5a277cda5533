import { z } from "zod";
import { byteLength } from "../../http/body";
import { looksLikeEmail } from "../../http/email";

/** Exact messages of platform.md §1.1. */
export const REGISTER_MESSAGES = {
  methodNotAllowed: "Method not allowed. Use POST to register.",
  unsupportedMediaType: "Content-Type must be application/json",
  rateLimited: "Registration rate limit exceeded (5 per hour). Try again later.",
  readError: "Failed to read request body",
  tooLarge: "Request body too large (max 1024 bytes)",
  invalidJson: "Invalid JSON in request body",
  labelTooLong: "Label too long (max 255 characters)",
  badPrefix: "Unsupported internal_tenant_id_prefix value",
  badEmail: "Invalid email format",
  emailCap: "Max 3 active tenants per email reached. Use one of your existing tenants or contact support.",
  generationFailed: "Internal error during registration",
  createFailed: "Failed to create registration",
} as const;

export const MAX_BODY_BYTES = 1024;

/** AxonFlow's own synthetic traffic may replace `cs_` with one of these (platform.md §1.1). */
export const INTERNAL_TENANT_PREFIXES = [
  "axonflow-internal-canary-",
  "axonflow-internal-perf-bench-",
  "axonflow-internal-e2e-",
  "axonflow-internal-smoke-",
] as const;

const optionalString = z.string().nullish();

/**
 * Body of POST /api/v1/register. A field of the wrong JSON type is a decoding error in the
 * reference, hence "Invalid JSON"; the checks run in the reference's order (label, prefix, email)
 * and the first failing one answers.
 */
export const registerBody = z
  .object({
    label: optionalString,
    email: optionalString,
    internal_tenant_id_prefix: optionalString,
  })
  .nullable()
  .transform((body, ctx) => {
    const label = body?.label ?? "";
    if (byteLength(label) > 255) {
      ctx.addIssue({ code: "custom", message: REGISTER_MESSAGES.labelTooLong });
      return z.NEVER;
    }
    const prefix = body?.internal_tenant_id_prefix ?? "";
    if (prefix && !(INTERNAL_TENANT_PREFIXES as readonly string[]).includes(prefix)) {
      ctx.addIssue({ code: "custom", message: REGISTER_MESSAGES.badPrefix });
      return z.NEVER;
    }
    const email = (body?.email ?? "").trim().toLowerCase();
    if (email && !looksLikeEmail(email)) {
      ctx.addIssue({ code: "custom", message: REGISTER_MESSAGES.badEmail });
      return z.NEVER;
    }
    return { label: label || null, email: email || null, tenantPrefix: prefix || "cs_" };
  });

export type RegisterInput = z.output<typeof registerBody>;
