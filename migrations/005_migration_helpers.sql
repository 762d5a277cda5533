-- Helpers for the migrations themselves, in a schema no runtime role can use.
CREATE SCHEMA IF NOT EXISTS axonflow_migrations;
REVOKE ALL ON SCHEMA axonflow_migrations FROM PUBLIC;

-- Gives a SECURITY DEFINER function the ownership and grants every one of them must have: owned by
-- the BYPASSRLS platform role, EXECUTE revoked from PUBLIC and granted to the app role only.
CREATE OR REPLACE PROCEDURE axonflow_migrations.harden_definer(fn regprocedure)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('ALTER FUNCTION %s OWNER TO axonflow_platform_admin', fn);
  EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
  EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO axonflow_app_role', fn);
END
$$;
