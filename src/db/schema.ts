/**
 * Drizzle schema: the source of the generated SQL in drizzle/. Row-level security, roles, grants
 * and SECURITY DEFINER functions are hand-written in migrations/ (drizzle has no FORCE RLS).
 * Storage notes: docs in src/db/README.md.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

/** One row per Community-SaaS tenant credential (platform.md §1.2). `org_id = client_id = tenant_id`. */
export const communitySaasRegistrations = pgTable(
  "community_saas_registrations",
  {
    tenantId: varchar("tenant_id", { length: 255 }).primaryKey(),
    /** `hmac-sha256$<hex>`; '' once terminated by the sweep. */
    secretHash: varchar("secret_hash", { length: 255 }).notNull(),
    secretPrefix: varchar("secret_prefix", { length: 10 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull().default("community-saas"),
    clientId: varchar("client_id", { length: 255 }),
    label: varchar("label", { length: 255 }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '30 days'`),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    requestCount: bigint("request_count", { mode: "number" }).notNull().default(0),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    claimedByEmail: varchar("claimed_by_email", { length: 255 }),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    terminatedAt: timestamp("terminated_at", { withTimezone: true }),
  },
  (table) => [
    index("idx_csaas_reg_expires").on(table.expiresAt),
    index("idx_csaas_reg_org").on(table.orgId),
    index("idx_csaas_reg_claimed_email").on(table.claimedByEmail).where(sql`${table.claimedByEmail} IS NOT NULL`),
  ],
);

/**
 * Plugin Pro licenses (platform.md §2.7). `org_id` (= the tenant's org) carries row-level security.
 * `issued_at` and `expires_at` are exactly what the token signs, so a replay re-mints identical bytes.
 */
export const pluginUserLicenses = pgTable(
  "plugin_user_licenses",
  {
    licenseId: uuid("license_id").primaryKey().defaultRandom(),
    tenantId: varchar("tenant_id", { length: 255 })
      .notNull()
      .references(() => communitySaasRegistrations.tenantId),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    claimedByEmail: varchar("claimed_by_email", { length: 255 }).notNull(),
    tier: varchar("tier", { length: 16 }).notNull(),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revocationReason: text("revocation_reason"),
    licenseTokenJti: varchar("license_token_jti", { length: 64 }).unique(),
    rotationGeneration: integer("rotation_generation").default(1),
    stripeCustomerId: varchar("stripe_customer_id", { length: 255 }),
    stripeSessionId: varchar("stripe_session_id", { length: 255 }),
    stripePaymentIntentId: varchar("stripe_payment_intent_id", { length: 255 }),
  },
  (table) => [
    check("plugin_user_licenses_tier_check", sql`${table.tier} IN ('Pro', 'Premium')`),
    // Per-tenant reads and writes (issuance, erasure, sweep) use this instead of scanning the table.
    index("idx_plugin_lic_tenant").on(table.tenantId),
    uniqueIndex("idx_plugin_lic_active").on(table.tenantId).where(sql`${table.revokedAt} IS NULL`),
    uniqueIndex("idx_plugin_lic_stripe_session")
      .on(table.stripeSessionId)
      .where(sql`${table.stripeSessionId} IS NOT NULL`),
    index("idx_plugin_lic_payment_intent")
      .on(table.stripePaymentIntentId)
      .where(sql`${table.stripePaymentIntentId} IS NOT NULL`),
  ],
);

/** Per-tenant request counts per UTC day (platform.md §4.2), flushed in batches from the tenant gate. */
export const communitySaasDailyUsage = pgTable(
  "community_saas_daily_usage",
  {
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    day: date("day").notNull(),
    reqCount: integer("req_count").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.day] })],
);

/**
 * Static (pattern) policies (platform.md §9.6). System rows (`tier = 'system'`, `tenant_id = 'global'`,
 * `org_id` NULL) are seeded by migrations/040_system_policies.sql from src/policy/system-policies.ts,
 * which the Worker evaluates from its bundle; tenant rows (`tier = 'tenant'`) carry the tenant's org.
 */
export const staticPolicies = pgTable(
  "static_policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: varchar("org_id", { length: 255 }),
    policyId: varchar("policy_id", { length: 100 }).notNull().unique(),
    name: varchar("name", { length: 255 }).notNull(),
    category: varchar("category", { length: 50 }).notNull(),
    pattern: text("pattern").notNull(),
    severity: varchar("severity", { length: 20 }).notNull().default("medium"),
    description: text("description"),
    action: varchar("action", { length: 50 }).notNull().default("block"),
    enabled: boolean("enabled").notNull().default(true),
    tenantId: varchar("tenant_id", { length: 255 }).notNull().default("global"),
    tier: varchar("tier", { length: 20 }).notNull().default("tenant"),
    priority: integer("priority").notNull().default(50),
    riskLevel: varchar("risk_level", { length: 20 }),
    allowOverride: boolean("allow_override").notNull().default(true),
    metadata: jsonb("metadata").notNull().default({}),
    tags: jsonb("tags").notNull().default([]),
    version: integer("version").notNull().default(1),
    createdBy: varchar("created_by", { length: 255 }),
    updatedBy: varchar("updated_by", { length: 255 }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (table) => [
    check("static_policies_tier_check", sql`${table.tier} IN ('system', 'organization', 'tenant')`),
    index("idx_static_policies_tenant").on(table.tenantId).where(sql`${table.enabled}`),
    index("idx_static_policies_org").on(table.orgId),
  ],
);

/**
 * Audit trail of governed calls (platform.md §9.4; the reference orchestrator's columns plus
 * `org_id` for row-level security and `decision_id` to join a decision). Rows arrive in batches
 * from the tenant gate's outbox, never from the request path; `id` is minted in the Worker, so a
 * re-sent batch cannot duplicate a row.
 */
export const auditLogs = pgTable(
  "audit_logs",
  {
    id: varchar("id", { length: 255 }).primaryKey(),
    requestId: varchar("request_id", { length: 255 }).notNull(),
    timestamp: timestamp("timestamp", { withTimezone: true }).notNull(),
    userId: varchar("user_id", { length: 255 }),
    userEmail: varchar("user_email", { length: 255 }).notNull().default(""),
    userRole: varchar("user_role", { length: 50 }).notNull().default(""),
    clientId: varchar("client_id", { length: 255 }).notNull(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    requestType: varchar("request_type", { length: 50 }).notNull(),
    query: text("query").notNull(),
    queryHash: varchar("query_hash", { length: 255 }).notNull(),
    policyDecision: varchar("policy_decision", { length: 50 }).notNull(),
    policyDetails: jsonb("policy_details"),
    decisionId: varchar("decision_id", { length: 64 }),
    provider: varchar("provider", { length: 50 }),
    model: varchar("model", { length: 100 }),
    responseTimeMs: bigint("response_time_ms", { mode: "number" }),
    tokensUsed: integer("tokens_used"),
    cost: numeric("cost", { precision: 10, scale: 6 }),
    redactedFields: jsonb("redacted_fields"),
    errorMessage: text("error_message"),
    responseSample: text("response_sample"),
    complianceFlags: jsonb("compliance_flags"),
    securityMetrics: jsonb("security_metrics"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("idx_audit_logs_org_time").on(table.orgId, table.timestamp.desc()),
    index("idx_audit_logs_tenant_time").on(table.tenantId, table.timestamp),
    index("idx_audit_logs_decision").on(table.decisionId).where(sql`${table.decisionId} IS NOT NULL`),
  ],
);

/**
 * One row per policy decision (check_policy, check_output, check-input/-output, pre-check, …),
 * read by the decisions and explain routes. The statement itself is not kept, only its SHA-256.
 */
export const policyDecisions = pgTable(
  "policy_decisions",
  {
    decisionId: varchar("decision_id", { length: 64 }).primaryKey(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    clientId: varchar("client_id", { length: 255 }).notNull(),
    requestId: varchar("request_id", { length: 255 }).notNull(),
    timestamp: timestamp("timestamp", { withTimezone: true }).notNull(),
    /** Canonical verdict: `allowed`, `blocked` or `redacted`. */
    decision: varchar("decision", { length: 16 }).notNull(),
    /** Where it was decided: `mcp_check_policy`, `check_input`, `check_output`, `pre_check`, `request`, … */
    callSite: varchar("call_site", { length: 32 }).notNull(),
    connectorType: varchar("connector_type", { length: 255 }),
    operation: varchar("operation", { length: 64 }),
    toolSignature: varchar("tool_signature", { length: 255 }),
    /** The deciding policy (the block, else the highest-priority match). */
    policyId: varchar("policy_id", { length: 100 }),
    riskLevel: varchar("risk_level", { length: 16 }),
    blockReason: text("block_reason"),
    policiesEvaluated: integer("policies_evaluated").notNull(),
    policyMatches: jsonb("policy_matches").notNull().default([]),
    overrideId: varchar("override_id", { length: 64 }),
    statementHash: varchar("statement_hash", { length: 64 }).notNull(),
    clientName: varchar("client_name", { length: 255 }),
  },
  (table) => [
    index("idx_policy_decisions_org_time").on(table.orgId, table.timestamp.desc()),
    index("idx_policy_decisions_tenant_time").on(table.tenantId, table.timestamp),
  ],
);

/**
 * Session overrides (platform.md §9.4): a tenant lets one blocking policy through for a while. An
 * active override (not revoked, not expired) turns that policy's block into an allow with
 * `override_existing_id`; critical or `allow_override = false` policies cannot be overridden.
 */
export const policyOverrides = pgTable(
  "policy_overrides",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    policyId: varchar("policy_id", { length: 100 }).notNull(),
    policyType: varchar("policy_type", { length: 16 }).notNull(),
    overrideReason: text("override_reason").notNull(),
    /** Restricts the override to one tool (`connector_type`); NULL = every tool. */
    toolSignature: varchar("tool_signature", { length: 255 }),
    ttlSeconds: integer("ttl_seconds").notNull(),
    requestedTtl: integer("requested_ttl"),
    createdBy: varchar("created_by", { length: 255 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: varchar("revoked_by", { length: 255 }),
  },
  (table) => [
    check("policy_overrides_type_check", sql`${table.policyType} IN ('static', 'dynamic')`),
    index("idx_policy_overrides_org_active").on(table.orgId, table.expiresAt).where(sql`${table.revokedAt} IS NULL`),
  ],
);

/** Human-approval requests (MCP `axonflow_request_approval`); the tier gate counts them per rolling 7 days. */
export const approvalRequests = pgTable(
  "approval_requests",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    originalQuery: text("original_query").notNull(),
    requestType: varchar("request_type", { length: 100 }).notNull(),
    triggerReason: varchar("trigger_reason", { length: 255 }),
    severity: varchar("severity", { length: 16 }).notNull().default("medium"),
    status: varchar("status", { length: 16 }).notNull().default("pending"),
    requestedBy: varchar("requested_by", { length: 255 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
  },
  (table) => [index("idx_approval_requests_org_time").on(table.orgId, table.createdAt)],
);

/**
 * Dynamic policies (platform.md §9.4): conditions over a request's context rather than a pattern,
 * evaluated by `POST /api/v1/mcp/evaluate-policies`. Tenant rows carry the tenant's org.
 */
export const dynamicPolicies = pgTable(
  "dynamic_policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: varchar("org_id", { length: 255 }),
    policyId: varchar("policy_id", { length: 100 }).notNull().unique(),
    name: varchar("name", { length: 255 }).notNull(),
    description: text("description"),
    policyType: varchar("policy_type", { length: 50 }).notNull(),
    conditions: jsonb("conditions").notNull().default([]),
    actions: jsonb("actions").notNull().default([]),
    priority: integer("priority").notNull().default(100),
    enabled: boolean("enabled").notNull().default(true),
    tenantId: varchar("tenant_id", { length: 255 }).notNull().default("global"),
    tier: varchar("tier", { length: 20 }).notNull().default("tenant"),
    metadata: jsonb("metadata").notNull().default({}),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (table) => [index("idx_dynamic_policies_org").on(table.orgId)],
);

/**
 * Credential-recovery links (platform.md §6.1). Not tenant-owned (an email, no org): request code
 * reaches it only through the SECURITY DEFINER functions of migrations/050_recovery.sql.
 * `token_hash` is the SHA-256 hex of the 64-hex token; the token itself is never stored.
 */
export const communitySaasRecoveryTokens = pgTable(
  "community_saas_recovery_tokens",
  {
    tokenHash: varchar("token_hash", { length: 64 }).primaryKey(),
    email: varchar("email", { length: 255 }).notNull(),
    requestingIpHash: varchar("requesting_ip_hash", { length: 64 }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
    consumedByTenant: varchar("consumed_by_tenant", { length: 255 }),
  },
  (table) => [
    index("idx_csaas_recovery_email_recent").on(table.email, table.createdAt),
    index("idx_csaas_recovery_expires").on(table.expiresAt),
  ],
);

/**
 * Erasure tokens (platform.md §7.1). `token_hash` is HMAC-SHA256(AXONFLOW_TENANT_DELETE_TOKEN_PEPPER,
 * token) hex. Tenant-owned (`org_id` = the tenant's org, under row-level security); a consumed row
 * outlives the erasure so that a replay answers 410, until the cleanup job drops it.
 */
export const communitySaasDeletionTokens = pgTable(
  "community_saas_deletion_tokens",
  {
    tokenHash: varchar("token_hash", { length: 64 }).primaryKey(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    orgId: varchar("org_id", { length: 255 }).notNull(),
    email: varchar("email", { length: 255 }).notNull(),
    requestingIpHash: varchar("requesting_ip_hash", { length: 64 }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
  },
  (table) => [
    index("idx_csaas_deletion_expires").on(table.expiresAt),
    index("idx_csaas_deletion_tenant_recent").on(table.tenantId, table.createdAt.desc()),
  ],
);

/**
 * One row per completed erasure (platform.md §7.2), the proof that it happened. No org column:
 * only the platform admin role reads it; request code writes it through a SECURITY DEFINER function.
 * `deleted_rows` holds the count of every table the erasure emptied (the fixed columns are the
 * reference's five).
 */
export const tenantDeletionLog = pgTable(
  "tenant_deletion_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: varchar("tenant_id", { length: 255 }).notNull(),
    email: varchar("email", { length: 255 }).notNull(),
    deletionTokenJti: varchar("deletion_token_jti", { length: 64 }),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull(),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }).notNull().defaultNow(),
    deletedRegistrations: integer("deleted_registrations").notNull().default(0),
    deletedLicenses: integer("deleted_licenses").notNull().default(0),
    deletedAuditLogs: integer("deleted_audit_logs").notNull().default(0),
    deletedDailyUsage: integer("deleted_daily_usage").notNull().default(0),
    deletedUsageEvents: integer("deleted_usage_events").notNull().default(0),
    deletedRows: jsonb("deleted_rows").notNull().default(sql`'{}'::jsonb`),
    stripeCustomerId: varchar("stripe_customer_id", { length: 255 }),
    stripeArchiveOk: boolean("stripe_archive_ok"),
    stripeArchiveError: text("stripe_archive_error"),
    refundNeeded: boolean("refund_needed").notNull().default(false),
    refundNote: text("refund_note"),
  },
  (table) => [
    index("idx_tenant_deletion_log_tenant").on(table.tenantId),
    index("idx_tenant_deletion_log_email").on(table.email),
    index("idx_tenant_deletion_log_confirmed").on(table.confirmedAt),
    index("idx_tenant_deletion_log_refund").on(table.refundNeeded).where(sql`${table.refundNeeded}`),
  ],
);
