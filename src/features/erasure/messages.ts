/** Exact texts and limits of platform.md §7 (clients and the reference's runtime tests compare them). */
export const ERASURE_MESSAGES = {
  generic:
    "If a tenant matching this id and email exists, a deletion-confirmation email will be sent to the registered address within a few minutes. The link expires in 1 hour.",
  requestMethodNotAllowed: "Method not allowed. Use POST to request a deletion confirmation email.",
  confirmMethodNotAllowed: "Method not allowed. Use POST to confirm deletion with the token from your email.",
  missingTenantId: "Missing tenant_id in path",
  tooLarge: "Request body too large",
  readError: "Failed to read request body",
  invalidJson: "Invalid JSON in request body",
  invalidEmail: "Invalid email",
  missingToken: "Missing token",
  invalidToken: "Invalid deletion token",
  verifyFailed: "Failed to verify deletion token",
  tokenUsed: "Deletion token has already been used",
  tokenExpired: "Deletion token has expired",
  completeFailed: "Failed to complete deletion",
  success: "Tenant deleted. All associated data has been removed from our systems per GDPR Article 17.",
} as const;

/** Both routes read at most this many body bytes (§7.1, §7.2). */
export const MAX_BODY_BYTES = 4096;
/** A deletion token lives one hour; a tenant gets at most one per hour (§7.1). */
export const TOKEN_TTL_SECONDS = 3600;
export const MAX_TOKENS_PER_TENANT_HOUR = 1;
/** The Stripe customer archive after the erasure gives up after this long (§7.2). */
export const STRIPE_ARCHIVE_TIMEOUT_MS = 10_000;
