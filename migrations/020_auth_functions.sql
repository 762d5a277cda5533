-- SECURITY DEFINER functions for the pre-auth paths, which cannot know the org yet
-- (platform.md §8.2). Each pins search_path to pg_catalog, pg_temp and names every relation with
-- its schema, is owned by the BYPASSRLS platform role, and is executable by the app role only.

CREATE OR REPLACE FUNCTION public.csaas_auth_lookup(p_tenant_id text)
RETURNS TABLE (
  secret_hash text,
  expires_at timestamptz,
  disabled_at timestamptz,
  terminated_at timestamptz,
  org_id text
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.secret_hash::text, r.expires_at, r.disabled_at, r.terminated_at, r.org_id::text
  FROM public.community_saas_registrations r
  WHERE r.tenant_id = p_tenant_id
$$;

-- Inserts a registration (org_id = client_id = tenant_id). With an email, the per-email cap of
-- active tenants is checked under a per-email advisory lock, so parallel registrations cannot
-- exceed it. Returns 'created', 'email_cap_reached' or 'tenant_id_taken'.
CREATE OR REPLACE FUNCTION public.csaas_register_tenant(
  p_tenant_id text,
  p_secret_hash text,
  p_secret_prefix text,
  p_label text,
  p_expires_at timestamptz,
  p_email text,
  p_max_active_per_email integer
)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  active_count integer;
BEGIN
  IF p_email IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('csaas_register_email:' || p_email));
    SELECT count(*) INTO active_count
    FROM public.community_saas_registrations r
    WHERE r.claimed_by_email = p_email
      AND r.terminated_at IS NULL
      AND r.disabled_at IS NULL
      AND r.expires_at > now();
    IF active_count >= p_max_active_per_email THEN
      RETURN 'email_cap_reached';
    END IF;
  END IF;

  BEGIN
    INSERT INTO public.community_saas_registrations
      (tenant_id, secret_hash, secret_prefix, org_id, client_id, label, expires_at,
       claimed_by_email, claimed_at)
    VALUES
      (p_tenant_id, p_secret_hash, p_secret_prefix, p_tenant_id, p_tenant_id, p_label, p_expires_at,
       p_email, CASE WHEN p_email IS NULL THEN NULL ELSE now() END);
  EXCEPTION WHEN unique_violation THEN
    RETURN 'tenant_id_taken';
  END;
  RETURN 'created';
END
$$;

-- Records activity: last_seen_at moves forward only, request_count grows by p_requests (a batch
-- flush passes the number of requests it covers). Returns false when no live row matched.
CREATE OR REPLACE FUNCTION public.csaas_register_touch(
  p_tenant_id text,
  p_requests bigint DEFAULT 1,
  p_seen_at timestamptz DEFAULT now()
)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  UPDATE public.community_saas_registrations r
  SET last_seen_at = GREATEST(COALESCE(r.last_seen_at, p_seen_at), p_seen_at),
      request_count = r.request_count + p_requests
  WHERE r.tenant_id = p_tenant_id AND r.terminated_at IS NULL;
  RETURN FOUND;
END
$$;

CALL axonflow_migrations.harden_definer('public.csaas_auth_lookup(text)');
CALL axonflow_migrations.harden_definer('public.csaas_register_tenant(text, text, text, text, timestamptz, text, integer)');
CALL axonflow_migrations.harden_definer('public.csaas_register_touch(text, bigint, timestamptz)');
