// `npm run license:mint -- --tenant <id> [--tier Pro] [--aud axonflow.saas.plugin] [--days 90] …`
// Mints a license token with the Worker's own src/license code (run with tsx) and prints it on
// stdout; a summary goes to stderr so `$(npm run -s license:mint -- …)` captures only the token.
// The seed comes from AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY, else from .dev.vars in the repo root.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  DEFAULT_DEPLOYMENT_ID,
  formatLicenseDate,
  LICENSE_TIERS,
  LicenseInputError,
  type LicenseTier,
  licenseExpiry,
  mintLicenseToken,
} from "../src/license/codec";
import { createKeyring, KeyConfigError, PUBLIC_KEY_VARIABLE, SIGNING_KEY_VARIABLE } from "../src/license/keys";
import { AUDIENCES, type Audience } from "../src/license/matrix";
import { parseDevVars } from "./dev-vars.mjs";

const USAGE = `usage: npm run license:mint -- --tenant <tenant_id> [options]

options (default in brackets):
  --tenant <id>           tenant the license belongs to, cs_<uuid> (required)
  --tier <tier>           ${LICENSE_TIERS.join(" or ")} [Pro]
  --aud <aud>             audience [axonflow.saas.plugin], one of:
                          ${Object.keys(AUDIENCES).join("\n                          ")}
  --days <n>              validity in days, 0 = 100 years [90]
  --email <address>       buyer email (left out of the payload when absent)
  --deployment-id <id>    [$AXONFLOW_DEPLOYMENT_ID, else ${DEFAULT_DEPLOYMENT_ID}]
  --issued <YYYYMMDD>     issue date, UTC [today]
  --jti <uuid>            license id, the revocation key [a new UUIDv4]

The signing seed is read from ${SIGNING_KEY_VARIABLE}, else from .dev.vars (npm run keygen makes
a pair). The same inputs, --issued and --jti included, always give the same token.`;

class UsageError extends Error {}

function readOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      tenant: { type: "string" },
      tier: { type: "string", default: "Pro" },
      aud: { type: "string", default: "axonflow.saas.plugin" },
      days: { type: "string", default: "90" },
      email: { type: "string" },
      "deployment-id": { type: "string" },
      issued: { type: "string" },
      jti: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return undefined;
  if (!values.tenant) throw new UsageError("--tenant is required");
  if (!/^\d+$/.test(values.days)) throw new UsageError("--days must be a whole number ≥ 0");
  const issuedAt = values.issued ?? formatLicenseDate(new Date());
  return {
    tenantId: values.tenant,
    // mintLicenseToken checks both against the closed lists.
    tier: values.tier as LicenseTier,
    aud: values.aud as Audience,
    issuedAt,
    expiresAt: licenseExpiry(issuedAt, Number(values.days)),
    email: values.email,
    deploymentId: values["deployment-id"] ?? process.env.AXONFLOW_DEPLOYMENT_ID ?? DEFAULT_DEPLOYMENT_ID,
    jti: values.jti ?? randomUUID(),
  };
}

/** The keys to mint with, both from the same place so a stale public key elsewhere cannot mismatch. */
function readKeys(): { signingKey: string; publicKey?: string; source: string } {
  const fromEnv = process.env[SIGNING_KEY_VARIABLE]?.trim();
  if (fromEnv) return { signingKey: fromEnv, publicKey: process.env[PUBLIC_KEY_VARIABLE], source: "environment" };
  const devVarsPath = new URL("../.dev.vars", import.meta.url);
  let devVars: Record<string, string>;
  try {
    devVars = parseDevVars(readFileSync(devVarsPath, "utf8"));
  } catch {
    devVars = {};
  }
  const signingKey = devVars[SIGNING_KEY_VARIABLE]?.trim();
  if (!signingKey) {
    throw new KeyConfigError(
      SIGNING_KEY_VARIABLE,
      "is not set: export it, or run `npm run keygen >> .dev.vars` (or `npm run dev` once) to create a dev key pair",
    );
  }
  return { signingKey, publicKey: devVars[PUBLIC_KEY_VARIABLE], source: ".dev.vars" };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    // parseArgs throws TypeErrors for unknown or value-less options.
    if (error instanceof UsageError || error instanceof LicenseInputError || error instanceof TypeError) {
      process.stderr.write(`license:mint: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const { source, ...keys } = readKeys();
    const token = await mintLicenseToken(options, createKeyring(keys));
    process.stdout.write(`${token}\n`);
    process.stderr.write(
      `minted ${options.tier} ${options.aud} for ${options.tenantId}: jti=${options.jti} issued_at=${options.issuedAt} expires_at=${options.expiresAt} (key from ${source})\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof LicenseInputError) {
      process.stderr.write(`license:mint: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof KeyConfigError) {
      process.stderr.write(`license:mint: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
