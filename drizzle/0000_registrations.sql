CREATE TABLE "community_saas_registrations" (
	"tenant_id" varchar(255) PRIMARY KEY NOT NULL,
	"secret_hash" varchar(255) NOT NULL,
	"secret_prefix" varchar(10) NOT NULL,
	"org_id" varchar(255) DEFAULT 'community-saas' NOT NULL,
	"client_id" varchar(255),
	"label" varchar(255),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone DEFAULT now() + interval '30 days' NOT NULL,
	"last_seen_at" timestamp with time zone,
	"request_count" bigint DEFAULT 0 NOT NULL,
	"disabled_at" timestamp with time zone,
	"claimed_by_email" varchar(255),
	"claimed_at" timestamp with time zone,
	"terminated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "idx_csaas_reg_expires" ON "community_saas_registrations" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "idx_csaas_reg_org" ON "community_saas_registrations" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "idx_csaas_reg_claimed_email" ON "community_saas_registrations" USING btree ("claimed_by_email") WHERE "community_saas_registrations"."claimed_by_email" IS NOT NULL;