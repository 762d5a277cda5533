/**
 * Drizzle schema: the source of the generated SQL in drizzle/. Row-level security, roles, grants
 * and SECURITY DEFINER functions are hand-written in migrations/ (drizzle has no FORCE RLS).
 * Storage notes: docs in src/db/README.md.
 */
import { sql } from "drizzle-orm";
import { bigint, index, pgTable, timestamp, varchar } from "drizzle-orm/pg-core";

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
