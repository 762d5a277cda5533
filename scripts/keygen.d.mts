/** Types of scripts/keygen.mjs for TypeScript importers (the tests). */
export interface KeyPair {
  /** Standard base64 of the 32-byte Ed25519 seed (AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY). */
  seed: string;
  /** Standard base64 of the 32-byte public key (AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY). */
  publicKey: string;
}
export function generateKeyPair(): Promise<KeyPair>;
export function formatKeyPair(pair: KeyPair): string;
