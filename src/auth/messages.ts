/** Exact auth messages of the reference (platform.md §1.3); clients compare them. */
export const AUTH_MESSAGES = {
  missing: "Registration required. POST to /api/v1/register to get credentials.",
  invalid: "Invalid credentials or registration expired",
  terminated:
    "Registration terminated by retention policy (3-month inactivity or 1-year cap). Re-register at POST /api/v1/register.",
} as const;

/** Sent on authenticated responses to requests without `X-Axonflow-Client` (decisions.md). */
export const UPGRADE_HINT =
  "Send X-Axonflow-Client: <client-id>/<version> (e.g. claude-code-plugin/1.13.0) on every request and upgrade your AxonFlow plugin or SDK to the latest release.";
