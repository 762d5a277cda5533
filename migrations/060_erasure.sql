-- GDPR erasure (platform.md §7). community_saas_deletion_tokens has an org column (row-level
-- security through 010), but the request and confirm paths run before any tenant is
-- authenticated, so they reach it through these SECURITY DEFINER functions. tenant_deletion_log
-- has no org column: only axonflow_platform_admin reads it (010's grant); request code writes it
-- only through csaas_tenant_erase and csaas_tenant_erase_stripe_result.

REVOKE ALL ON public.tenant_deletion_log FROM PUBLIC;
REVOKE ALL ON public.tenant_deletion_log FROM axonflow_app_role;

-- POST /api/v1/tenant/{id}/delete-request after validation and the per-IP budget, in one round
-- trip. Every caller takes the same lock and runs the same two reads (the tenant's tokens of the
-- last hour, the tenant/email match) whatever the outcome; only 'issued' adds the insert, and it
-- commits without waiting for the WAL flush so that a matched request costs what an unmatched
-- (read-only) one does. A lost token row after a crash only means asking again.
-- Returns 'issued', 'tenant_limited' or 'unmatched'.
CREATE OR REPLACE FUNCTION public.csaas_tenant_delete_request(
  p_tenant_id text,
  p_email text,
  p_token_hash text,
  p_ip_hash text,
  p_ttl_seconds integer,
  p_max_per_hour integer
)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  recent integer;
  org text;
BEGIN
  -- Parallel requests for one tenant must not pass the hourly limit together.
  PERFORM pg_advisory_xact_lock(hashtext('csaas_tenant_delete:' || p_tenant_id));
  SELECT count(*) INTO recent
  FROM public.community_saas_deletion_tokens t
  WHERE t.tenant_id = p_tenant_id AND t.created_at > now() - interval '1 hour';
  SELECT r.org_id INTO org
  FROM public.community_saas_registrations r
  WHERE r.tenant_id = p_tenant_id AND r.claimed_by_email = p_email AND r.terminated_at IS NULL;
  IF recent >= p_max_per_hour THEN
    RETURN 'tenant_limited';
  END IF;
  IF org IS NULL THEN
    RETURN 'unmatched';
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO public.community_saas_deletion_tokens
    (token_hash, tenant_id, org_id, email, requesting_ip_hash, expires_at)
  VALUES (p_token_hash, p_tenant_id, org, p_email, p_ip_hash, now() + make_interval(secs => p_ttl_seconds));
  RETURN 'issued';
END
$$;

-- The state of a deletion token across tenants (the confirm route checks used/expired before the
-- tenant match, §7.2). No row when the hash is unknown.
CREATE OR REPLACE FUNCTION public.csaas_tenant_delete_lookup(p_token_hash text)
RETURNS TABLE (tenant_id text, consumed boolean, expired boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT t.tenant_id::text, t.consumed_at IS NOT NULL, t.expires_at <= now()
  FROM public.community_saas_deletion_tokens t
  WHERE t.token_hash = p_token_hash
$$;

-- Deletes every row of p_tenant_id in schema public and returns {table: rows deleted} for every
-- table it looked at. Tables are found in the catalog, so later tables are covered: every ordinary
-- or partitioned table with a tenant_id, org_id or client_id column, except the erasure's own
-- records (the consumed token must survive so a replay answers 410; the log is the proof). A row
-- belongs to the tenant when any of those columns holds its id. Children go before parents: a
-- table is emptied only once no remaining candidate table references it (pg_constraint), so
-- foreign keys such as plugin_user_licenses → community_saas_registrations hold; a reference
-- cycle makes the delete fail and the caller's transaction roll back.
-- Not SECURITY DEFINER and not executable by PUBLIC or the app role: only the definer functions
-- below (running as its owner, axonflow_platform_admin, which bypasses RLS) call it.
CREATE OR REPLACE FUNCTION public.csaas_tenant_purge_rows(p_tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  remaining oid[];
  ready oid[];
  tbl oid;
  cond text;
  n bigint;
  counts jsonb := '{}'::jsonb;
BEGIN
  SELECT coalesce(array_agg(c.oid ORDER BY c.relname), '{}') INTO remaining
  FROM pg_class c
  JOIN pg_namespace ns ON ns.oid = c.relnamespace
  WHERE ns.nspname = 'public'
    AND c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND c.relname NOT IN ('community_saas_deletion_tokens', 'tenant_deletion_log')
    AND EXISTS (
      SELECT 1 FROM pg_attribute a
      WHERE a.attrelid = c.oid AND a.attname IN ('tenant_id', 'org_id', 'client_id')
        AND a.attnum > 0 AND NOT a.attisdropped);

  WHILE cardinality(remaining) > 0 LOOP
    -- Tables no other remaining table references (self-references do not block).
    SELECT coalesce(array_agg(t ORDER BY t), '{}') INTO ready
    FROM unnest(remaining) AS t
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_constraint k
      WHERE k.contype = 'f' AND k.confrelid = t AND k.conrelid <> t AND k.conrelid = ANY (remaining));
    IF cardinality(ready) = 0 THEN
      ready := remaining;  -- a cycle: try anyway, the first violated key aborts everything
    END IF;
    FOREACH tbl IN ARRAY ready LOOP
      SELECT string_agg(format('%I = $1', a.attname), ' OR ' ORDER BY a.attname) INTO cond
      FROM pg_attribute a
      WHERE a.attrelid = tbl AND a.attname IN ('tenant_id', 'org_id', 'client_id')
        AND a.attnum > 0 AND NOT a.attisdropped;
      EXECUTE format('DELETE FROM %s WHERE %s', tbl::regclass, cond) USING p_tenant_id;
      GET DIAGNOSTICS n = ROW_COUNT;
      counts := counts || jsonb_build_object((SELECT relname FROM pg_class WHERE oid = tbl), n);
    END LOOP;
    remaining := ARRAY(SELECT x FROM unnest(remaining) AS x WHERE x <> ALL (ready));
  END LOOP;
  RETURN counts;
END
$$;

-- POST /api/v1/tenant/{id}/delete-confirm after the lookup: the whole erasure in one transaction.
-- The token row is locked first, so of two concurrent confirms exactly one erases and the other
-- sees the token consumed. Outcome 'erased', 'consumed', 'expired', 'unknown' or 'mismatch'; only
-- 'erased' changes anything. Refund flag (§7.2): the latest non-revoked Pro license, issued within
-- 14 days; its Stripe customer is returned for archiving whatever its age.
CREATE OR REPLACE FUNCTION public.csaas_tenant_erase(p_token_hash text, p_tenant_id text)
RETURNS TABLE (
  outcome text,
  deleted_rows jsonb,
  refund_needed boolean,
  refund_note text,
  stripe_customer_id text,
  deleted_at timestamptz
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  token public.community_saas_deletion_tokens%ROWTYPE;
  issued timestamptz;
  customer text;
  needed boolean := false;
  note text;
  counts jsonb;
BEGIN
  PERFORM set_config('lock_timeout', '30s', true);
  SELECT * INTO token FROM public.community_saas_deletion_tokens t
  WHERE t.token_hash = p_token_hash
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown'::text, NULL::jsonb, false, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF token.consumed_at IS NOT NULL THEN
    RETURN QUERY SELECT 'consumed'::text, NULL::jsonb, false, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF token.expires_at <= now() THEN
    RETURN QUERY SELECT 'expired'::text, NULL::jsonb, false, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF token.tenant_id <> p_tenant_id THEN
    RETURN QUERY SELECT 'mismatch'::text, NULL::jsonb, false, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;

  UPDATE public.community_saas_deletion_tokens t SET consumed_at = now() WHERE t.token_hash = p_token_hash;

  SELECT l.issued_at, l.stripe_customer_id INTO issued, customer
  FROM public.plugin_user_licenses l
  WHERE l.tenant_id = p_tenant_id AND l.tier = 'Pro' AND l.revoked_at IS NULL
  ORDER BY l.issued_at DESC
  LIMIT 1;
  IF issued > now() - interval '14 days' THEN
    needed := true;
    note := 'Active Pro license issued at '
      || to_char(issued AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      || ' (within 14-day refund window). Manual Stripe refund required.';
  END IF;

  counts := public.csaas_tenant_purge_rows(p_tenant_id);

  INSERT INTO public.tenant_deletion_log (
    tenant_id, email, deletion_token_jti, requested_at, confirmed_at,
    deleted_registrations, deleted_licenses, deleted_audit_logs, deleted_daily_usage, deleted_usage_events,
    deleted_rows, stripe_customer_id, refund_needed, refund_note)
  VALUES (
    p_tenant_id, token.email, p_token_hash, token.created_at, now(),
    coalesce((counts->>'community_saas_registrations')::integer, 0),
    coalesce((counts->>'plugin_user_licenses')::integer, 0),
    coalesce((counts->>'audit_logs')::integer, 0),
    coalesce((counts->>'community_saas_daily_usage')::integer, 0),
    coalesce((counts->>'usage_events')::integer, 0),
    counts, customer, needed, note);

  RETURN QUERY SELECT 'erased'::text, counts, needed, note, customer, now();
END
$$;

-- After the tenant's Durable Object was emptied: deletes rows that an in-flight flush of the gate
-- wrote after the erasure committed, and adds them to the log row's deleted_rows. Only for a
-- tenant that this consumed token erased (no registration left), so it cannot delete a live
-- tenant. Returns the counts of this pass ({} when the proof does not hold).
CREATE OR REPLACE FUNCTION public.csaas_tenant_erase_residue(p_token_hash text, p_tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  counts jsonb;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM public.tenant_deletion_log d
    WHERE d.tenant_id = p_tenant_id AND d.deletion_token_jti = p_token_hash
  ) OR EXISTS (
    SELECT 1 FROM public.community_saas_registrations r WHERE r.tenant_id = p_tenant_id
  ) THEN
    RETURN '{}'::jsonb;
  END IF;
  counts := public.csaas_tenant_purge_rows(p_tenant_id);
  IF EXISTS (SELECT 1 FROM jsonb_each(counts) e WHERE e.value::bigint > 0) THEN
    UPDATE public.tenant_deletion_log d
    SET deleted_rows = (
      SELECT jsonb_object_agg(k, coalesce((d.deleted_rows->>k)::bigint, 0) + coalesce((counts->>k)::bigint, 0))
      FROM (SELECT jsonb_object_keys(d.deleted_rows) UNION SELECT jsonb_object_keys(counts)) AS keys(k))
    WHERE d.tenant_id = p_tenant_id AND d.deletion_token_jti = p_token_hash;
  END IF;
  RETURN counts;
END
$$;

-- Records the outcome of the Stripe customer archive on the log row, once.
CREATE OR REPLACE FUNCTION public.csaas_tenant_erase_stripe_result(
  p_token_hash text,
  p_tenant_id text,
  p_ok boolean,
  p_error text
)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  UPDATE public.tenant_deletion_log d
  SET stripe_archive_ok = p_ok, stripe_archive_error = left(p_error, 1000)
  WHERE d.tenant_id = p_tenant_id AND d.deletion_token_jti = p_token_hash
    AND d.stripe_customer_id IS NOT NULL AND d.stripe_archive_ok IS NULL;
  RETURN FOUND;
END
$$;

ALTER FUNCTION public.csaas_tenant_purge_rows(text) OWNER TO axonflow_platform_admin;
REVOKE ALL ON FUNCTION public.csaas_tenant_purge_rows(text) FROM PUBLIC;

CALL axonflow_migrations.harden_definer('public.csaas_tenant_delete_request(text, text, text, text, integer, integer)');
CALL axonflow_migrations.harden_definer('public.csaas_tenant_delete_lookup(text)');
CALL axonflow_migrations.harden_definer('public.csaas_tenant_erase(text, text)');
CALL axonflow_migrations.harden_definer('public.csaas_tenant_erase_residue(text, text)');
CALL axonflow_migrations.harden_definer('public.csaas_tenant_erase_stripe_result(text, text, boolean, text)');
