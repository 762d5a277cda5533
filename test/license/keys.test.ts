import { describe, expect, it } from "vitest";
import { formatKeyPair, generateKeyPair } from "../../scripts/keygen.mjs";
import { mintLicenseToken } from "../../src/license/codec";
import {
  createKeyring,
  KeyConfigError,
  MintingUnavailableError,
  PUBLIC_KEY_VARIABLE,
  parseEd25519Key,
  SIGNING_KEY_VARIABLE,
} from "../../src/license/keys";
import { newTestKeys, PRO_LICENSE } from "./fixtures";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

// Bytes chosen so that std and url base64 differ (`+` vs `-`).
const KEY_BYTES = [
  251, 32, 69, 106, 143, 180, 217, 254, 35, 72, 109, 146, 183, 220, 1, 38, 75, 112, 149, 186, 223, 4, 41, 78, 115, 152,
  189, 226, 7, 44, 81, 118,
];

describe("parseEd25519Key (platform.md §2.2 tolerant parser)", () => {
  it.each([
    ["std", "+yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY="],
    ["raw std", "+yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY"],
    ["url", "-yBFao-02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY="],
    ["raw url", "-yBFao-02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY"],
    ["std with surrounding whitespace", "  +yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY=\n"],
    ["raw url with a trailing CRLF", "-yBFao-02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY\r\n"],
  ])("decodes %s", (_, text) => {
    expect([...parseEd25519Key(text, SIGNING_KEY_VARIABLE)]).toEqual(KEY_BYTES);
  });

  it.each([
    ["31 bytes", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=="],
    ["33 bytes", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"],
    ["64 bytes", "A".repeat(86)],
    ["empty", ""],
    ["not base64", "not a key at all, just some words!!"],
    ["mixed alphabets", "+yBFao-02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXY="],
    ["whitespace inside", "+yBFao+02f4jSG2St9wB JktwlbrfBClOc5i94gcsUXY="],
  ])("rejects %s with an error naming the variable, not the value", (_, text) => {
    let caught: unknown;
    try {
      parseEd25519Key(text, PUBLIC_KEY_VARIABLE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeyConfigError);
    expect((caught as KeyConfigError).variable).toBe(PUBLIC_KEY_VARIABLE);
    expect((caught as Error).message).toBe(
      "AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY must be a base64-encoded 32-byte Ed25519 key",
    );
  });
});

describe("createKeyring", () => {
  // RFC 8032 §7.1, test 1: proves the PKCS#8 seed import and the public-key derivation.
  const RFC_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  const RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  const RFC_SIGNATURE =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

  it("signs like RFC 8032 from a 32-byte seed, and the configured public key matches the derived one", async () => {
    const keyring = createKeyring({
      signingKey: toBase64(fromHex(RFC_SEED)),
      publicKey: toBase64(fromHex(RFC_PUBLIC)),
    });
    expect(keyring.canMint).toBe(true);
    const signature = await keyring.sign(new Uint8Array(0));
    expect(hex(signature)).toBe(RFC_SIGNATURE);
    expect(await keyring.verify(new Uint8Array(0), signature)).toBe(true);
    expect(await keyring.verify(new Uint8Array([0]), signature)).toBe(false);
  });

  it("verifies with the seed's own public half when no public key is configured", async () => {
    const seedOnly = createKeyring({ signingKey: toBase64(fromHex(RFC_SEED)) });
    const publicOnly = createKeyring({ publicKey: toBase64(fromHex(RFC_PUBLIC)) });
    const message = new TextEncoder().encode("payload");
    const signature = await seedOnly.sign(message);
    expect(await seedOnly.verify(message, signature)).toBe(true);
    expect(await publicOnly.verify(message, signature)).toBe(true);
  });

  it("a verifier-only keyring verifies but refuses to mint with a typed error", async () => {
    const keys = await newTestKeys();
    expect(keys.verifier.canMint).toBe(false);
    const message = new TextEncoder().encode("payload");
    expect(await keys.verifier.verify(message, await keys.issuer.sign(message))).toBe(true);

    const refusal = keys.verifier.sign(message);
    await expect(refusal).rejects.toBeInstanceOf(MintingUnavailableError);
    await expect(refusal).rejects.toThrow(
      "license minting needs AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY; this deployment is verifier-only",
    );
    await expect(mintLicenseToken(PRO_LICENSE, keys.verifier)).rejects.toBeInstanceOf(MintingUnavailableError);
  });

  it("refuses to mint when the configured public key belongs to another seed", async () => {
    const [a, b] = [await generateKeyPair(), await generateKeyPair()];
    const mismatched = createKeyring({ signingKey: a.seed, publicKey: b.publicKey });
    const attempt = mintLicenseToken(PRO_LICENSE, mismatched);
    await expect(attempt).rejects.toBeInstanceOf(KeyConfigError);
    await expect(attempt).rejects.toThrow(
      "AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY does not match AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY",
    );
  });

  it("does not verify another key's signature, nor a signature of the wrong length", async () => {
    const [a, b] = [await newTestKeys(), await newTestKeys()];
    const message = new TextEncoder().encode("payload");
    const signature = await a.issuer.sign(message);
    expect(await b.verifier.verify(message, signature)).toBe(false);
    expect(await a.verifier.verify(message, signature.slice(0, 63))).toBe(false);
    expect(await a.verifier.verify(message, new Uint8Array([...signature, 0]))).toBe(false);
  });

  it("returns one cached keyring per key, whatever base64 variant spells it", async () => {
    const { seed, publicKey } = await generateKeyPair();
    const rawUrl = publicKey.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect(createKeyring({ publicKey: ` ${rawUrl}\n` })).toBe(createKeyring({ publicKey }));
    expect(createKeyring({ signingKey: seed })).toBe(createKeyring({ signingKey: seed }));
    expect(createKeyring({ signingKey: seed })).not.toBe(createKeyring({ signingKey: seed, publicKey }));
  });

  it.each([
    ["neither key", {}],
    ["blank keys", { signingKey: "  ", publicKey: "" }],
  ])("throws KeyConfigError for %s", (_, keys) => {
    expect(() => createKeyring(keys)).toThrow(KeyConfigError);
    expect(() => createKeyring(keys)).toThrow(
      "AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY or AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY must be set",
    );
  });

  it("names the malformed variable", () => {
    const valid = toBase64(new Uint8Array(32).fill(7));
    expect(() => createKeyring({ signingKey: "short", publicKey: valid })).toThrow(
      expect.objectContaining({ variable: SIGNING_KEY_VARIABLE }),
    );
    expect(() => createKeyring({ signingKey: valid, publicKey: "short" })).toThrow(
      expect.objectContaining({ variable: PUBLIC_KEY_VARIABLE }),
    );
  });
});

describe("scripts/keygen.mjs", () => {
  it("generates a consistent pair of standard-base64 32-byte keys", async () => {
    const pair = await generateKeyPair();
    expect(pair.seed).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // The pair must belong together: a keyring holding both mints without a mismatch error.
    const token = await mintLicenseToken(
      PRO_LICENSE,
      createKeyring({ signingKey: pair.seed, publicKey: pair.publicKey }),
    );
    expect(token).toMatch(/^AXON-/);
    expect((await generateKeyPair()).seed).not.toBe(pair.seed);
  });

  it("prints the two variable lines", async () => {
    const pair = await generateKeyPair();
    expect(formatKeyPair(pair)).toBe(
      `AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY=${pair.seed}\nAXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY=${pair.publicKey}\n`,
    );
  });
});
