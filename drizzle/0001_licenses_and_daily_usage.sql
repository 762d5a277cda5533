CREATE TABLE "community_saas_daily_usage" (
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"day" date NOT NULL,
	"req_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "community_saas_daily_usage_tenant_id_day_pk" PRIMARY KEY("tenant_id","day")
);
--> statement-breakpoint
CREATE TABLE "plugin_user_licenses" (
	"license_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"claimed_by_email" varchar(255) NOT NULL,
	"tier" varchar(16) NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"license_token_jti" varchar(64),
	"rotation_generation" integer DEFAULT 1,
	"stripe_customer_id" varchar(255),
	"stripe_session_id" varchar(255),
	"stripe_payment_intent_id" varchar(255),
	CONSTRAINT "plugin_user_licenses_license_token_jti_unique" UNIQUE("license_token_jti"),
	CONSTRAINT "plugin_user_licenses_tier_check" CHECK ("plugin_user_licenses"."tier" IN ('Pro', 'Premium'))
);
--> statement-breakpoint
ALTER TABLE "plugin_user_licenses" ADD CONSTRAINT "plugin_user_licenses_tenant_id_community_saas_registrations_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."community_saas_registrations"("tenant_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_plugin_lic_active" ON "plugin_user_licenses" USING btree ("tenant_id") WHERE "plugin_user_licenses"."revoked_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_plugin_lic_stripe_session" ON "plugin_user_licenses" USING btree ("stripe_session_id") WHERE "plugin_user_licenses"."stripe_session_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_plugin_lic_payment_intent" ON "plugin_user_licenses" USING btree ("stripe_payment_intent_id") WHERE "plugin_user_licenses"."stripe_payment_intent_id" IS NOT NULL;