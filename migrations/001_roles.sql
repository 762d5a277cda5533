-- Roles (platform.md §8.2): request code connects as axonflow_app_role, which can never bypass
-- row-level security; cross-tenant jobs connect as axonflow_platform_admin. Passwords are set by
-- scripts/migrate.mjs from the environment, never here.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'axonflow_app_role') THEN
    CREATE ROLE axonflow_app_role LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'axonflow_platform_admin') THEN
    CREATE ROLE axonflow_platform_admin LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

-- Re-assert the attributes on every run: a role created by hand elsewhere must not keep BYPASSRLS.
ALTER ROLE axonflow_app_role NOSUPERUSER NOBYPASSRLS;
ALTER ROLE axonflow_platform_admin BYPASSRLS;

GRANT USAGE ON SCHEMA public TO axonflow_app_role, axonflow_platform_admin;
