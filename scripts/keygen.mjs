// `npm run keygen`: prints a fresh Ed25519 key pair for license tokens as .dev.vars / secret lines.
// The signing seed belongs only to the Worker that mints (billing); every other Worker gets the
// public key alone (verifier-only, decisions.md). Plain Node + WebCrypto so scripts/dev.mjs can
// import generateKeyPair() without a TypeScript loader.
import { pathToFileURL } from "node:url";

const ED25519 = { name: "Ed25519" };
const SEED_BYTES = 32;

const toBase64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)));

/**
 * A new key pair as standard base64: `seed` is the 32-byte Ed25519 seed
 * (AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY), `publicKey` the 32-byte public key
 * (AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY).
 * @returns {Promise<{ seed: string, publicKey: string }>}
 */
export async function generateKeyPair() {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
  // PKCS#8 of an Ed25519 key is a fixed 16-byte header followed by the seed (RFC 8410).
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", privateKey);
  return {
    seed: toBase64(pkcs8.slice(-SEED_BYTES)),
    publicKey: toBase64(await crypto.subtle.exportKey("raw", publicKey)),
  };
}

/** The pair as the two environment-variable lines `npm run keygen` prints. */
export function formatKeyPair({ seed, publicKey }) {
  return `AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY=${seed}\nAXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY=${publicKey}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(formatKeyPair(await generateKeyPair()));
}
