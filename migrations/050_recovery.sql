-- Credential recovery (platform.md §6). community_saas_recovery_tokens holds emails, not tenants,
-- so it has no org column and no grants for the app role: these SECURITY DEFINER functions are
-- the only way request code reaches it. Each answers in one round trip.

REVOKE ALL ON public.community_saas_recovery_tokens FROM PUBLIC;

-- POST /api/v1/recover after validation and the per-IP budget. Every caller runs the same two
-- reads (per-email count, tenant existence) whatever the outcome, so matched and unmatched emails
-- cost the same; only 'issued' adds the insert, and it commits without waiting for the WAL flush
-- so that it costs what the read-only path does (a token lost in a crash only means asking again).
-- Returns 'issued', 'email_limited' or 'no_tenant'.
CREATE OR REPLACE FUNCTION public.csaas_recovery_request(
  p_email text,
  p_token_hash text,
  p_ip_hash text,
  p_expires_at timestamptz,
  p_max_per_hour integer
)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  recent integer;
  claimed boolean;
BEGIN
  -- Parallel requests for one email must not pass the hourly cap together.
  PERFORM pg_advisory_xact_lock(hashtext('csaas_recovery_email:' || p_email));
  SELECT count(*) INTO recent
  FROM public.community_saas_recovery_tokens t
  WHERE t.email = p_email AND t.created_at > now() - interval '1 hour';
  -- The reference does not check expires_at here: an expired tenant's owner may still recover.
  SELECT EXISTS (
    SELECT 1 FROM public.community_saas_registrations r
    WHERE r.claimed_by_email = p_email AND r.terminated_at IS NULL AND r.disabled_at IS NULL
  ) INTO claimed;
  IF recent >= p_max_per_hour THEN
    RETURN 'email_limited';
  END IF;
  IF NOT claimed THEN
    RETURN 'no_tenant';
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO public.community_saas_recovery_tokens (token_hash, email, requesting_ip_hash, expires_at)
  VALUES (p_token_hash, p_email, p_ip_hash, p_expires_at);
  RETURN 'issued';
END
$$;

-- The state of a recovery link, for the read-only confirm page. No row when the hash is unknown.
CREATE OR REPLACE FUNCTION public.csaas_recovery_lookup(p_token_hash text)
RETURNS TABLE (email text, consumed boolean, expired boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT t.email::text, t.consumed_at IS NOT NULL, t.expires_at <= now()
  FROM public.community_saas_recovery_tokens t
  WHERE t.token_hash = p_token_hash
$$;

-- Consumes a recovery link and creates the new tenant in one transaction. The token row is locked
-- first, so of two concurrent confirms exactly one creates a tenant and the other sees it consumed.
-- The tenant is inserted by csaas_register_tenant, which holds the per-email lock and applies the
-- active-tenant cap exactly as registration does. Returns (outcome, email) where outcome is
-- 'recovered', 'unknown', 'consumed', 'expired', 'email_cap_reached' or 'tenant_id_taken'; only
-- 'recovered' changes anything.
CREATE OR REPLACE FUNCTION public.csaas_recovery_consume(
  p_token_hash text,
  p_tenant_id text,
  p_secret_hash text,
  p_secret_prefix text,
  p_expires_at timestamptz,
  p_max_active_per_email integer
)
RETURNS TABLE (outcome text, email text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  token public.community_saas_recovery_tokens%ROWTYPE;
  created text;
BEGIN
  SELECT * INTO token FROM public.community_saas_recovery_tokens t
  WHERE t.token_hash = p_token_hash
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown'::text, NULL::text;
    RETURN;
  END IF;
  IF token.consumed_at IS NOT NULL THEN
    RETURN QUERY SELECT 'consumed'::text, token.email::text;
    RETURN;
  END IF;
  IF token.expires_at <= now() THEN
    RETURN QUERY SELECT 'expired'::text, token.email::text;
    RETURN;
  END IF;

  created := public.csaas_register_tenant(
    p_tenant_id, p_secret_hash, p_secret_prefix, left('recovery for ' || token.email, 255), p_expires_at,
    token.email, p_max_active_per_email);
  IF created <> 'created' THEN
    RETURN QUERY SELECT created, token.email::text;
    RETURN;
  END IF;

  UPDATE public.community_saas_recovery_tokens t
  SET consumed_at = now(), consumed_by_tenant = p_tenant_id
  WHERE t.token_hash = p_token_hash AND t.consumed_at IS NULL;
  RETURN QUERY SELECT 'recovered'::text, token.email::text;
END
$$;

CALL axonflow_migrations.harden_definer('public.csaas_recovery_request(text, text, text, timestamptz, integer)');
CALL axonflow_migrations.harden_definer('public.csaas_recovery_lookup(text)');
CALL axonflow_migrations.harden_definer('public.csaas_recovery_consume(text, text, text, text, timestamptz, integer)');
