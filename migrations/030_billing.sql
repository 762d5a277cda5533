-- Billing (platform.md §3). Refunds and disputes name a payment intent, not a tenant, so the
-- webhook cannot know the org scope: these SECURITY DEFINER functions are its only way to reach
-- licenses by payment intent. stripe_payment_revocations remembers every full refund and
-- dispute per payment intent, so a revocation that arrives before its issuance still wins:
-- the final state depends only on which events occurred, never on their order.

CREATE TABLE IF NOT EXISTS public.stripe_payment_revocations (
  payment_intent_id varchar(255) NOT NULL,
  reason varchar(32) NOT NULL CHECK (reason IN ('full_refund', 'dispute')),
  charge_id varchar(255),
  dispute_id varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (payment_intent_id, reason)
);
REVOKE ALL ON public.stripe_payment_revocations FROM PUBLIC;
GRANT ALL ON public.stripe_payment_revocations TO axonflow_platform_admin;

-- The revocation reason that applies to a payment: a dispute outranks a refund.
CREATE OR REPLACE FUNCTION public.billing_payment_revocation_reason(p_payment_intent text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.reason::text
  FROM public.stripe_payment_revocations r
  WHERE r.payment_intent_id = p_payment_intent
  ORDER BY CASE r.reason WHEN 'dispute' THEN 0 ELSE 1 END
  LIMIT 1
$$;

-- Records a full refund or dispute and revokes the payment's licenses. Returns one row per
-- license of the payment: newly_revoked is true for rows this call revoked. A later dispute
-- upgrades a refund's revocation reason (precedence above) without moving revoked_at. Each license
-- this call revokes leaves an audit_logs row for its tenant (request_type
-- license_revoked_<reason>, the lifecycle marker of src/features/billing/fulfil.ts); a replay
-- revokes nothing, so it adds no row.
CREATE OR REPLACE FUNCTION public.billing_revoke_payment(
  p_payment_intent text,
  p_reason text,
  p_charge text,
  p_dispute text
)
RETURNS TABLE (tenant_id text, stripe_session_id text, newly_revoked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  effective text;
BEGIN
  -- Serialises with an issuance of the same payment (src/features/billing/fulfil.ts takes the
  -- same lock): whichever commits first, the other sees it.
  PERFORM pg_advisory_xact_lock(hashtext('stripe_payment:' || p_payment_intent));
  INSERT INTO public.stripe_payment_revocations (payment_intent_id, reason, charge_id, dispute_id)
  VALUES (p_payment_intent, p_reason, p_charge, p_dispute)
  ON CONFLICT (payment_intent_id, reason) DO NOTHING;
  effective := public.billing_payment_revocation_reason(p_payment_intent);

  RETURN QUERY
  WITH revoked AS (
    UPDATE public.plugin_user_licenses l
    SET revoked_at = now(), revocation_reason = effective
    WHERE l.stripe_payment_intent_id = p_payment_intent AND l.revoked_at IS NULL
    RETURNING l.license_id, l.tenant_id, l.org_id, l.tier, l.stripe_session_id
  ),
  -- Data-modifying CTEs always run to completion, referenced or not.
  upgraded AS (
    UPDATE public.plugin_user_licenses l
    SET revocation_reason = effective
    WHERE l.stripe_payment_intent_id = p_payment_intent
      AND l.revoked_at IS NOT NULL
      AND l.revocation_reason IN ('full_refund', 'dispute')
      AND l.revocation_reason IS DISTINCT FROM effective
      AND l.license_id NOT IN (SELECT license_id FROM revoked)
    RETURNING l.license_id
  ),
  described AS (
    SELECT r.*, r.tier || ' license revoked: ' || CASE effective WHEN 'dispute' THEN 'dispute' ELSE 'full refund' END
      AS query
    FROM revoked r
  ),
  audited AS (
    INSERT INTO public.audit_logs (id, request_id, timestamp, user_email, user_role, client_id, tenant_id, org_id,
                                   request_type, query, query_hash, policy_decision, policy_details)
    SELECT 'audit_' || gen_random_uuid(), coalesce(d.stripe_session_id, ''), now(), '', '', d.tenant_id, d.tenant_id,
           d.org_id, 'license_revoked_' || effective, d.query, encode(sha256(convert_to(d.query, 'UTF8')), 'hex'),
           'license_lifecycle',
           jsonb_strip_nulls(jsonb_build_object(
             'license_id', d.license_id, 'tier', d.tier, 'stripe_session_id', d.stripe_session_id,
             'revocation_reason', effective, 'charge_id', nullif(p_charge, ''), 'dispute_id', p_dispute))
    FROM described d
  )
  SELECT l.tenant_id::text, l.stripe_session_id::text, (l.license_id IN (SELECT license_id FROM revoked))
  FROM public.plugin_user_licenses l
  WHERE l.stripe_payment_intent_id = p_payment_intent;
END
$$;

-- The checkout session of a payment (for webhook answers), or NULL.
CREATE OR REPLACE FUNCTION public.billing_session_for_payment(p_payment_intent text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT l.stripe_session_id::text
  FROM public.plugin_user_licenses l
  WHERE l.stripe_payment_intent_id = p_payment_intent
  ORDER BY l.issued_at DESC
  LIMIT 1
$$;

CALL axonflow_migrations.harden_definer('public.billing_payment_revocation_reason(text)');
CALL axonflow_migrations.harden_definer('public.billing_revoke_payment(text, text, text, text)');
CALL axonflow_migrations.harden_definer('public.billing_session_for_payment(text)');
