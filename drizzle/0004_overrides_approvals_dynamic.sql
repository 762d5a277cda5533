CREATE TABLE "approval_requests" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "approval_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"original_query" text NOT NULL,
	"request_type" varchar(100) NOT NULL,
	"trigger_reason" varchar(255),
	"severity" varchar(16) DEFAULT 'medium' NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"requested_by" varchar(255) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dynamic_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" varchar(255),
	"policy_id" varchar(100) NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"policy_type" varchar(50) NOT NULL,
	"conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"priority" integer DEFAULT 100 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"tenant_id" varchar(255) DEFAULT 'global' NOT NULL,
	"tier" varchar(20) DEFAULT 'tenant' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "dynamic_policies_policy_id_unique" UNIQUE("policy_id")
);
--> statement-breakpoint
CREATE TABLE "policy_overrides" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" varchar(255) NOT NULL,
	"org_id" varchar(255) NOT NULL,
	"policy_id" varchar(100) NOT NULL,
	"policy_type" varchar(16) NOT NULL,
	"override_reason" text NOT NULL,
	"tool_signature" varchar(255),
	"ttl_seconds" integer NOT NULL,
	"requested_ttl" integer,
	"created_by" varchar(255) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" varchar(255),
	CONSTRAINT "policy_overrides_type_check" CHECK ("policy_overrides"."policy_type" IN ('static', 'dynamic'))
);
--> statement-breakpoint
CREATE INDEX "idx_approval_requests_org_time" ON "approval_requests" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "idx_dynamic_policies_org" ON "dynamic_policies" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "idx_policy_overrides_org_active" ON "policy_overrides" USING btree ("org_id","expires_at") WHERE "policy_overrides"."revoked_at" IS NULL;