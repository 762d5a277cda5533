/**
 * Drizzle schema: the source of the generated SQL in drizzle/. Row-level security, roles, grants
 * and SECURITY DEFINER functions are hand-written in migrations/ (drizzle has no FORCE RLS).
 * Storage notes: docs in src/db/README.md.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  date,
  index,
  integer,
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
