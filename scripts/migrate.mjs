// Applies the schema to any Postgres: drizzle's generated SQL (drizzle/, tracked in the
// drizzle.__drizzle_migrations table) and then every hand-written file in migrations/ in name
// order. The hand-written files are idempotent and re-applied on each run, so FORCE RLS, grants
// and functions always match the repository. Usage: DATABASE_URL=postgres://owner@host/db npm run db:migrate
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MIGRATION_LOCK_KEY = 0x6178_6f6e; // arbitrary, constant: one migrator at a time

/**
 * @param {string} databaseUrl an owner/superuser connection string
 * @param {{ appRolePassword?: string, platformAdminPassword?: string, log?: (line: string) => void }} [options]
 */
export async function applyMigrations(databaseUrl, options = {}) {
  const log = options.log ?? (() => {});
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SET client_min_messages = warning");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrate(drizzle(client), { migrationsFolder: path.join(root, "drizzle") });
    log("drizzle migrations applied");
    const dir = path.join(root, "migrations");
    const files = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
    for (const file of files) {
      const text = await readFile(path.join(dir, file), "utf8");
      await client.query("BEGIN");
      try {
        await client.query(text);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migrations/${file}: ${error.message}`);
      }
      log(`applied migrations/${file}`);
    }
    const passwords = [
      ["axonflow_app_role", options.appRolePassword],
      ["axonflow_platform_admin", options.platformAdminPassword],
    ];
    for (const [role, password] of passwords) {
      if (!password) continue;
      const literal = client.escapeLiteral(password);
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${literal}`);
    }
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  } finally {
    await client.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url =
    process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.PGPORT ?? 15432}/axonflow`;
  applyMigrations(url, {
    appRolePassword: process.env.AXONFLOW_DB_APP_ROLE_PASSWORD,
    platformAdminPassword: process.env.AXONFLOW_DB_PLATFORM_ADMIN_PASSWORD,
    log: (line) => console.log(line),
  }).then(
    () => console.log("database is up to date"),
    (error) => {
      console.error(`migration failed: ${error.message}`);
      process.exit(1);
    },
  );
}
