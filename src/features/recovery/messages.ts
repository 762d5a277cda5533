/** Exact texts of platform.md §6 (clients and the reference's runtime tests compare them). */
export const RECOVERY_MESSAGES = {
  generic:
    "If an AxonFlow tenant is associated with this email, you'll receive a recovery link within a few minutes. Check your inbox (and spam folder).",
  requestMethodNotAllowed: "Method not allowed. Use POST to request a recovery link.",
  verifyMethodNotAllowed: "Method not allowed. Use GET to confirm or POST to consume.",
  readError: "Failed to read request body",
  requestTooLarge: "Request body too large (max 1024 bytes)",
  tooLarge: "Request body too large",
  invalidJson: "Invalid JSON in request body",
  invalidEmail: "Invalid email",
  formParse: "Failed to parse form body",
  unsupportedMediaType: "Content-Type must be application/json or application/x-www-form-urlencoded",
  missingToken: "Missing token",
  invalidToken: "Invalid or expired recovery token",
  tokenUsed: "Recovery token has already been used",
  emailCap: "Max 3 active tenants per email reached. Use one of your existing tenants or contact support.",
  createFailed: "Failed to create recovered tenant",
  completeFailed: "Failed to complete recovery",
  success: "Recovery successful. Save these credentials — the secret is shown only once.",
} as const;

/** Messages of the read-only HTML pages of GET /api/v1/recover/verify (§6.2). */
export const RECOVERY_PAGE_MESSAGES = {
  missingToken: "Missing token in URL",
  unknown: "Invalid recovery link. Request a new one at the AxonFlow recovery page.",
  lookupFailed: "Failed to verify recovery link",
  consumed: "This recovery link has already been used. Request a new one if you still need to recover.",
  expired: "This recovery link has expired. Request a new one to recover your tenant.",
} as const;

/** Request bodies of both POST routes are at most this long (§6.1, §6.3). */
export const MAX_BODY_BYTES = 1024;
/** A recovery link lives 15 minutes; an email gets at most 5 links an hour (§6.1). */
export const TOKEN_TTL_MS = 15 * 60_000;
export const MAX_TOKENS_PER_EMAIL_HOUR = 5;
