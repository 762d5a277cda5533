/**
 * The plugin-license Ed25519 keys (platform.md §2.2) as WebCrypto keys. Only `crypto.subtle` is
 * used, so the same code runs in workerd and in Node 20 (the operator CLIs import it).
 */
import { decodeBase64, encodeBase64, RAW_URL, STD } from "./base64";

export const SIGNING_KEY_VARIABLE = "AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY";
export const PUBLIC_KEY_VARIABLE = "AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY";

const ED25519 = { name: "Ed25519" } as const;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** DER header of a PKCS#8 Ed25519 private key; the 32-byte seed follows it (RFC 8410). */
const PKCS8_SEED_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** The order Go's tolerant parser tries: std, raw-std, url, raw-url. */
const KEY_ENCODINGS = [STD, { alphabet: "std", padded: false }, { alphabet: "url", padded: true }, RAW_URL] as const;

/** A key variable is malformed. The message names the variable, never its value. */
export class KeyConfigError extends Error {
  override name = "KeyConfigError";
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable} ${reason}`);
  }
}

/** Minting was asked of a keyring that holds only the public key (the production default). */
export class MintingUnavailableError extends Error {
  override name = "MintingUnavailableError";
  constructor() {
    super(`license minting needs ${SIGNING_KEY_VARIABLE}; this deployment is verifier-only`);
  }
}

/**
 * The 32 key bytes of a configured key: whitespace trimmed, then std, raw-std, url and raw-url
 * base64 tried in turn. Throws {@link KeyConfigError} naming `variable` when none decodes to 32 bytes.
 */
export function parseEd25519Key(text: string, variable: string): Uint8Array {
  const trimmed = text.trim();
  for (const encoding of KEY_ENCODINGS) {
    const bytes = decodeBase64(trimmed, encoding);
    if (bytes?.length === KEY_BYTES) return bytes;
  }
  throw new KeyConfigError(variable, `must be a base64-encoded ${KEY_BYTES}-byte Ed25519 key`);
}

/** Signs and verifies license tokens with one key pair; see {@link createKeyring}. */
export interface Keyring {
  /** False for a verifier-only keyring (public key only): {@link Keyring.sign} then rejects. */
  readonly canMint: boolean;
  /** Ed25519 signature of `message`; rejects with {@link MintingUnavailableError} when verifier-only. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Whether `signature` is a valid Ed25519 signature of `message` under the verifying key. */
  verify(message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

interface SigningKey {
  privateKey: CryptoKey;
  /** Derived from the seed; compared with the configured public key before anything is signed. */
  publicKey: Uint8Array;
}

class Ed25519Keyring implements Keyring {
  #signingKey: Promise<SigningKey> | undefined;
  #verifyingKey: Promise<CryptoKey> | undefined;

  constructor(
    private readonly seed: Uint8Array | undefined,
    private readonly configuredPublicKey: Uint8Array | undefined,
  ) {}

  get canMint(): boolean {
    return this.seed !== undefined;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { privateKey } = await this.signingKey();
    return new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, message));
  }

  async verify(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (signature.length !== SIGNATURE_BYTES) return false;
    return crypto.subtle.verify(ED25519, await this.verifyingKey(), signature, message);
  }

  private signingKey(): Promise<SigningKey> {
    const seed = this.seed;
    if (!seed) return Promise.reject(new MintingUnavailableError());
    this.#signingKey ??= importSeed(seed).then((key) => {
      // A mismatched pair would mint tokens that no verifier accepts; refuse rather than issue one.
      if (this.configuredPublicKey && !sameBytes(key.publicKey, this.configuredPublicKey)) {
        throw new KeyConfigError(PUBLIC_KEY_VARIABLE, `does not match ${SIGNING_KEY_VARIABLE}`);
      }
      return key;
    });
    return this.#signingKey;
  }

  private verifyingKey(): Promise<CryptoKey> {
    this.#verifyingKey ??= this.verifyingKeyBytes().then((raw) =>
      crypto.subtle.importKey("raw", raw, ED25519, false, ["verify"]),
    );
    return this.#verifyingKey;
  }

  /** The configured public key wins (§2.2); without one, the seed's own public half verifies. */
  private async verifyingKeyBytes(): Promise<Uint8Array> {
    return this.configuredPublicKey ?? (await this.signingKey()).publicKey;
  }
}

async function importSeed(seed: Uint8Array): Promise<SigningKey> {
  const pkcs8 = new Uint8Array(PKCS8_SEED_PREFIX.length + seed.length);
  pkcs8.set(PKCS8_SEED_PREFIX);
  pkcs8.set(seed, PKCS8_SEED_PREFIX.length);
  // Extractable so the public half can be read back as JWK `x`; the seed itself already sits in env.
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, true, ["sign"]);
  const { x } = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  const publicKey = x === undefined ? undefined : decodeBase64(x, RAW_URL);
  if (publicKey?.length !== KEY_BYTES) throw new Error("WebCrypto returned no Ed25519 public key for the seed");
  return { privateKey, publicKey };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Keyrings per isolate, keyed by the canonical key texts, so imported CryptoKeys are reused. */
const keyrings = new Map<string, Keyring>();

/**
 * The keyring for the configured keys (plain strings, as they arrive from env). Blank values count
 * as unset. A public key alone gives a verifier-only keyring; a seed alone verifies with its own
 * public half. Throws {@link KeyConfigError} when a value is malformed or neither is set.
 * Keys are imported lazily on first use and cached for the life of the isolate.
 */
export function createKeyring(keys: { signingKey?: string; publicKey?: string }): Keyring {
  const seed = keys.signingKey?.trim() ? parseEd25519Key(keys.signingKey, SIGNING_KEY_VARIABLE) : undefined;
  const publicKey = keys.publicKey?.trim() ? parseEd25519Key(keys.publicKey, PUBLIC_KEY_VARIABLE) : undefined;
  if (!seed && !publicKey) throw new KeyConfigError(PUBLIC_KEY_VARIABLE, `or ${SIGNING_KEY_VARIABLE} must be set`);
  const cacheKey = `${seed ? encodeBase64(seed, STD) : ""} ${publicKey ? encodeBase64(publicKey, STD) : ""}`;
  let keyring = keyrings.get(cacheKey);
  if (!keyring) {
    keyring = new Ed25519Keyring(seed, publicKey);
    keyrings.set(cacheKey, keyring);
  }
  return keyring;
}
