-- Cron jobs (src/jobs/): the inactive-tenant sweep's cascade (platform.md §5.2) and the indexes
-- the jobs' bounded batches select by. Everything here runs as axonflow_platform_admin (BYPASSRLS);
-- nothing is executable by PUBLIC or the app role.

-- Cleanup (src/jobs/cleanup.ts) picks tokens consumed more than 7 days ago and daily-usage rows
-- older than 30 days; without these each batch would scan the whole table.
CREATE INDEX IF NOT EXISTS idx_csaas_recovery_consumed
  ON public.community_saas_recovery_tokens (consumed_at) WHERE consumed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_csaas_deletion_consumed
  ON public.community_saas_deletion_tokens (consumed_at) WHERE consumed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_csaas_daily_usage_day ON public.community_saas_daily_usage (day);
-- The sweep's selection (live registrations idle for 3 months or older than a year).
CREATE INDEX IF NOT EXISTS idx_csaas_reg_live_last_seen
  ON public.community_saas_registrations (last_seen_at) WHERE terminated_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_csaas_reg_live_created
  ON public.community_saas_registrations (created_at) WHERE terminated_at IS NULL;

-- The tables the sweep empties for a terminated tenant, children before parents. Discovered in
-- the catalog at every run, so a table added later is covered without touching this file: every
-- ordinary or partitioned table of schema public (partitions are reached through their parent)
-- with a text or varchar tenant_id column, except the rows the sweep keeps — the registration
-- (the tombstone), the shared policy stores and daily usage (§5.2's list, including the
-- reference's tables this schema lacks) and tenant_deletion_log (erasure records are proof and
-- outlive the tenant). pg_catalog rather than information_schema: the latter silently hides
-- tables the current role has no privilege on, which would shrink the cascade instead of failing.
-- A foreign key between two cascade tables orders the child first; a cycle is returned as is and
-- the first violated key aborts the caller's transaction.
CREATE OR REPLACE FUNCTION public.csaas_sweep_cascade_tables()
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  remaining oid[];
  ready oid[];
  ordered oid[] := '{}';
BEGIN
  SELECT coalesce(array_agg(c.oid ORDER BY c.relname), '{}') INTO remaining
  FROM pg_class c
  JOIN pg_namespace ns ON ns.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
  WHERE ns.nspname = 'public'
    AND c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)
    AND c.relname <> ALL (ARRAY[
      'community_saas_registrations', 'tenants', 'static_policies', 'dynamic_policies', 'license_keys',
      'schema_migrations', 'community_saas_daily_usage', 'tenant_deletion_log']);

  WHILE cardinality(remaining) > 0 LOOP
    -- Tables no other remaining table references (self-references do not block).
    SELECT coalesce(array_agg(t ORDER BY t), '{}') INTO ready
    FROM unnest(remaining) AS t
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_constraint k
      WHERE k.contype = 'f' AND k.confrelid = t AND k.conrelid <> t AND k.conrelid = ANY (remaining));
    IF cardinality(ready) = 0 THEN
      ready := remaining;
    END IF;
    ordered := ordered || ready;
    remaining := ARRAY(SELECT x FROM unnest(remaining) AS x WHERE x <> ALL (ready));
  END LOOP;
  RETURN ARRAY(SELECT c.relname::text FROM unnest(ordered) WITH ORDINALITY AS o(t, n) JOIN pg_class c ON c.oid = o.t ORDER BY o.n);
END
$$;

-- One batch of the sweep, atomically (one statement for the caller, so one transaction):
-- tombstones up to p_limit live registrations that are due (last seen more than 3 months before
-- p_now, or created more than a year before it; never-seen tenants only by the second rule) with
-- terminated_at = p_now and an empty secret hash, then deletes every row of those tenants from
-- the cascade tables. Rows another transaction holds are skipped (SKIP LOCKED), so a registration
-- being touched by a flush waits for the next batch and two runners can never pick the same
-- tenant. Refuses (raises) when fewer than p_min_tables cascade tables are found: a schema that
-- lost tables must not be half swept. With p_dry_run it only counts the due tenants (all of them)
-- and changes nothing. Returns the tombstoned tenant ids, the due count (dry run), the cascade
-- tables and the rows deleted per table.
CREATE OR REPLACE FUNCTION public.csaas_sweep_batch(
  p_now timestamptz,
  p_limit integer,
  p_min_tables integer,
  p_dry_run boolean
)
RETURNS TABLE (tenant_ids text[], due bigint, cascade_tables text[], deleted_rows jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tables text[] := public.csaas_sweep_cascade_tables();
  -- Calendar months and years in UTC, as the reference's NOW() - INTERVAL '3 months' in a UTC session.
  seen_before timestamptz := ((p_now AT TIME ZONE 'UTC') - interval '3 months') AT TIME ZONE 'UTC';
  created_before timestamptz := ((p_now AT TIME ZONE 'UTC') - interval '1 year') AT TIME ZONE 'UTC';
  ids text[];
  tbl text;
  n bigint;
  counts jsonb := '{}'::jsonb;
BEGIN
  IF cardinality(tables) < p_min_tables THEN
    RAISE EXCEPTION 'sweep refused: % cascade tables found, at least % expected', cardinality(tables), p_min_tables;
  END IF;

  IF p_dry_run THEN
    RETURN QUERY
    SELECT '{}'::text[], count(*), tables, '{}'::jsonb
    FROM public.community_saas_registrations r
    WHERE r.terminated_at IS NULL
      AND ((r.last_seen_at IS NOT NULL AND r.last_seen_at < seen_before) OR r.created_at < created_before);
    RETURN;
  END IF;

  -- Never wait long for a row or table lock: the batch fails, rolls back and runs again next hour.
  PERFORM set_config('lock_timeout', '5s', true);
  WITH picked AS (
    SELECT r.tenant_id
    FROM public.community_saas_registrations r
    WHERE r.terminated_at IS NULL
      AND ((r.last_seen_at IS NOT NULL AND r.last_seen_at < seen_before) OR r.created_at < created_before)
    ORDER BY r.tenant_id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ), tombstoned AS (
    UPDATE public.community_saas_registrations r
    SET terminated_at = p_now, secret_hash = ''
    FROM picked
    WHERE r.tenant_id = picked.tenant_id
    RETURNING r.tenant_id::text AS tenant_id
  )
  SELECT coalesce(array_agg(t.tenant_id ORDER BY t.tenant_id), '{}') INTO ids FROM tombstoned t;

  IF cardinality(ids) > 0 THEN
    FOREACH tbl IN ARRAY tables LOOP
      EXECUTE format('DELETE FROM public.%I WHERE tenant_id = ANY ($1)', tbl) USING ids;
      GET DIAGNOSTICS n = ROW_COUNT;
      counts := counts || jsonb_build_object(tbl, n);
    END LOOP;
  END IF;
  RETURN QUERY SELECT ids, cardinality(ids)::bigint, tables, counts;
END
$$;

ALTER FUNCTION public.csaas_sweep_cascade_tables() OWNER TO axonflow_platform_admin;
REVOKE ALL ON FUNCTION public.csaas_sweep_cascade_tables() FROM PUBLIC;
ALTER FUNCTION public.csaas_sweep_batch(timestamptz, integer, integer, boolean) OWNER TO axonflow_platform_admin;
REVOKE ALL ON FUNCTION public.csaas_sweep_batch(timestamptz, integer, integer, boolean) FROM PUBLIC;
