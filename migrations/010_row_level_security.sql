-- Every table with an org_id column gets ENABLE + FORCE row-level security and the
-- <table>_org_id_isolation policy on app.current_org_id (decisions.md "Row-level security").
-- The loop discovers tables at run time, so a table added by a later migration is covered by
-- re-running this file (scripts/migrate.mjs applies every file here on each run).
DO $$
DECLARE
  tbl text;
BEGIN
  FOR tbl IN
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', tbl);
    IF NOT EXISTS (
      SELECT 1 FROM pg_policies
      WHERE schemaname = 'public' AND tablename = tbl AND policyname = tbl || '_org_id_isolation'
    ) THEN
      EXECUTE format(
        'CREATE POLICY %I ON public.%I FOR ALL '
        'USING (org_id = current_setting(''app.current_org_id'', true)) '
        'WITH CHECK (org_id = current_setting(''app.current_org_id'', true))',
        tbl || '_org_id_isolation', tbl);
    END IF;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO axonflow_app_role', tbl);
  END LOOP;
END
$$;

-- Jobs (retention, sweep, cleanup) and the SECURITY DEFINER functions work across tenants.
GRANT ALL ON ALL TABLES IN SCHEMA public TO axonflow_platform_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO axonflow_platform_admin;
