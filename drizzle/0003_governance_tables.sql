CREATE TABLE "audit_logs" (
	"id" varchar(255) PRIMARY KEY NOT NULL,
	"request_id" varchar(255) NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	"user_id" varchar(255),
	"user_email" varchar(255) DEFAULT '' NOT NULL,
	"user_role" varchar(50) DEFAULT '' NOT NULL,
	"client_id" varchar(255) NOT NULL,
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"request_type" varchar(50) NOT NULL,
	"query" text NOT NULL,
	"query_hash" varchar(255) NOT NULL,
	"policy_decision" varchar(50) NOT NULL,
	"policy_details" jsonb,
	"decision_id" varchar(64),
	"provider" varchar(50),
	"model" varchar(100),
	"response_time_ms" bigint,
	"tokens_used" integer,
	"cost" numeric(10, 6),
	"redacted_fields" jsonb,
	"error_message" text,
	"response_sample" text,
	"compliance_flags" jsonb,
	"security_metrics" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_decisions" (
	"decision_id" varchar(64) PRIMARY KEY NOT NULL,
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"client_id" varchar(255) NOT NULL,
	"request_id" varchar(255) NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	"decision" varchar(16) NOT NULL,
	"call_site" varchar(32) NOT NULL,
	"connector_type" varchar(255),
	"operation" varchar(64),
	"tool_signature" varchar(255),
	"policy_id" varchar(100),
	"risk_level" varchar(16),
	"block_reason" text,
	"policies_evaluated" integer NOT NULL,
	"policy_matches" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"override_id" varchar(64),
	"statement_hash" varchar(64) NOT NULL,
	"client_name" varchar(255)
);
--> statement-breakpoint
CREATE TABLE "static_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" varchar(255),
	"policy_id" varchar(100) NOT NULL,
	"name" varchar(255) NOT NULL,
	"category" varchar(50) NOT NULL,
	"pattern" text NOT NULL,
	"severity" varchar(20) DEFAULT 'medium' NOT NULL,
	"description" text,
	"action" varchar(50) DEFAULT 'block' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"tenant_id" varchar(255) DEFAULT 'global' NOT NULL,
	"tier" varchar(20) DEFAULT 'tenant' NOT NULL,
	"priority" integer DEFAULT 50 NOT NULL,
	"risk_level" varchar(20),
	"allow_override" boolean DEFAULT true NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" varchar(255),
	"updated_by" varchar(255),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "static_policies_policy_id_unique" UNIQUE("policy_id"),
	CONSTRAINT "static_policies_tier_check" CHECK ("static_policies"."tier" IN ('system', 'organization', 'tenant'))
);
--> statement-breakpoint
CREATE INDEX "idx_audit_logs_org_time" ON "audit_logs" USING btree ("org_id","timestamp" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_audit_logs_tenant_time" ON "audit_logs" USING btree ("tenant_id","timestamp");--> statement-breakpoint
CREATE INDEX "idx_audit_logs_decision" ON "audit_logs" USING btree ("decision_id") WHERE "audit_logs"."decision_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_policy_decisions_org_time" ON "policy_decisions" USING btree ("org_id","timestamp" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_policy_decisions_tenant_time" ON "policy_decisions" USING btree ("tenant_id","timestamp");--> statement-breakpoint
CREATE INDEX "idx_static_policies_tenant" ON "static_policies" USING btree ("tenant_id") WHERE "static_policies"."enabled";--> statement-breakpoint
CREATE INDEX "idx_static_policies_org" ON "static_policies" USING btree ("org_id");