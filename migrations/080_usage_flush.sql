-- Idempotent usage flushes from the tenant gate (src/limits/tenant-gate.ts). A flush whose COMMIT
-- outlasted the gate's bound, or whose acknowledgement the gate lost (crash after COMMIT), has an
-- unknown outcome and is sent again; request_count grows by a delta, so a second application would
-- count its requests twice. Each flush snapshot therefore carries an id (a uuid the gate persists
-- with the snapshot's exact counts before the transaction, and re-sends unchanged until it is
-- acknowledged), and the registration row remembers the last one applied.
--
-- The gate sends one snapshot at a time and takes a new one only after the previous is
-- acknowledged, so the last applied id per tenant is enough to apply each snapshot at most once.
--
-- The column is maintained here, not in src/db/schema.ts: only the function below reads or writes
-- it (drizzle-kit generate diffs schema.ts against its own snapshots, never the database).
ALTER TABLE public.community_saas_registrations ADD COLUMN IF NOT EXISTS last_usage_flush_id uuid;

-- Applies one usage flush snapshot: last_seen_at moves forward only, request_count grows by
-- p_requests, unless p_flush_id is the last flush already applied to the tenant. The id check is in
-- the UPDATE's WHERE clause, so a retry that runs while the abandoned transaction still holds the
-- row waits for it and re-checks the committed row (READ COMMITTED re-evaluation): whichever of
-- the two commits first applies the snapshot, the other changes nothing. Returns 'applied',
-- 'already_applied', or 'not_found' when there is no live registration (terminated or erased).
CREATE OR REPLACE FUNCTION public.csaas_register_flush(
  p_tenant_id text,
  p_flush_id uuid,
  p_requests bigint,
  p_seen_at timestamptz
)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF p_flush_id IS NULL THEN
    RAISE EXCEPTION 'csaas_register_flush: flush id required';
  END IF;
  UPDATE public.community_saas_registrations r
  SET last_seen_at = GREATEST(COALESCE(r.last_seen_at, p_seen_at), p_seen_at),
      request_count = r.request_count + p_requests,
      last_usage_flush_id = p_flush_id
  WHERE r.tenant_id = p_tenant_id
    AND r.terminated_at IS NULL
    AND r.last_usage_flush_id IS DISTINCT FROM p_flush_id;
  IF FOUND THEN
    RETURN 'applied';
  END IF;
  IF EXISTS (
    SELECT 1 FROM public.community_saas_registrations r
    WHERE r.tenant_id = p_tenant_id AND r.terminated_at IS NULL
  ) THEN
    RETURN 'already_applied';
  END IF;
  RETURN 'not_found';
END
$$;

CALL axonflow_migrations.harden_definer('public.csaas_register_flush(text, uuid, bigint, timestamptz)');
