// Reading and creating .dev.vars (the dotenv-style file wrangler reads in local development).
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { generateKeyPair } from "./keygen.mjs";

/** Parses KEY=VALUE lines; blank lines and # comments are skipped, surrounding quotes removed. */
export function parseDevVars(text) {
  const vars = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 1) continue;
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    vars[line.slice(0, eq).trim()] = value;
  }
  return vars;
}

/** Creates `target` from `example` when missing, filling the generated secrets. Returns true if created. */
export async function ensureDevVars(target, example) {
  try {
    await readFile(target);
    return false;
  } catch {
    // missing: create below
  }
  const { seed, publicKey } = await generateKeyPair();
  const generated = {
    AXONFLOW_SECRET_PEPPER: randomBytes(32).toString("base64url"),
    AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY: seed,
    AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY: publicKey,
  };
  const text = (await readFile(example, "utf8")).replace(/^([A-Z0-9_]+)=$/gm, (line, key) =>
    key in generated ? `${key}=${generated[key]}` : line,
  );
  await writeFile(target, text, { mode: 0o600 });
  return true;
}

/**
 * The file's values with environment overrides applied: every variable the file lists that is set
 * in `env` wins for this run.
 */
export function withEnvOverrides(fileVars, env) {
  const overrides = {};
  for (const key of Object.keys(fileVars)) {
    if (env[key] !== undefined && env[key] !== fileVars[key]) overrides[key] = env[key];
  }
  return overrides;
}
