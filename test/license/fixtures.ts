/** Shared inputs of the license tests. Keys are generated per run; none live in the repository. */
import { generateKeyPair } from "../../scripts/keygen.mjs";
import type { MintLicenseInput } from "../../src/license/codec";
import { createKeyring, type Keyring } from "../../src/license/keys";

export const TENANT = "cs_5b0f6a1e-3a63-4bd5-9b2a-2c1f7c0e9d11";
export const JTI = "2b7e1c1a-0d6b-4b1e-9d2c-5a3f0f1e7c44";

/** The platform.md §2.1 example license as mint input (V3 adds the deployment id). */
export const PRO_LICENSE: MintLicenseInput = {
  tier: "Pro",
  tenantId: TENANT,
  aud: "axonflow.saas.plugin",
  jti: JTI,
  issuedAt: "20260505",
  expiresAt: "20260803",
  email: "buyer@example.com",
};

export interface TestKeys {
  seed: string;
  publicKey: string;
  /** Seed and public key: mints and verifies. */
  issuer: Keyring;
  /** Public key only, like the governed Worker in production. */
  verifier: Keyring;
}

/** A fresh key pair with its issuing and verifier-only keyrings. */
export async function newTestKeys(): Promise<TestKeys> {
  const { seed, publicKey } = await generateKeyPair();
  return {
    seed,
    publicKey,
    issuer: createKeyring({ signingKey: seed, publicKey }),
    verifier: createKeyring({ publicKey }),
  };
}

/** The JSON payload of a token, parsed (base64url → JSON) independently of src/license. */
export function payloadOf(token: string): Record<string, unknown> {
  const text = token.slice("AXON-".length, token.lastIndexOf("."));
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const json = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}
