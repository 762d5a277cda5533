// License verification cost in Node's WebCrypto, with the Worker's own src/license code.
// Run: `tsx bench/license-verify.mjs [count]` (tsx loads the TypeScript sources). Prints
//   ed25519_verify_us      one Ed25519 verify (keyring.verify), distinct tokens
//   token_verify_cold_us   verifyPresentedToken on a token this isolate has not seen (decode + verify + checks)
//   token_verify_memo_us   the same token again: the signature memo answers, no Ed25519
// Bounded: the default 5,000 tokens take a few seconds. workerd's verify is ~3x faster (stack.md §5).
import { performance } from "node:perf_hooks";
import { generateKeyPair } from "../scripts/keygen.mjs";
import { decodeLicenseToken, mintLicenseToken } from "../src/license/codec.ts";
import { createKeyring } from "../src/license/keys.ts";
import { SIGNATURE_MEMO_LIMIT, verifyPresentedToken } from "../src/license/verify.ts";

const count = Math.min(Number(process.argv[2] ?? 5000), SIGNATURE_MEMO_LIMIT);
const tenantId = "cs_00000000-0000-4000-8000-000000000000";
const { seed } = await generateKeyPair();
const keyring = createKeyring({ signingKey: seed });

const tokens = [];
for (let i = 0; i < count; i++) {
  const jti = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const input = {
    tier: "Pro",
    tenantId,
    aud: "axonflow.saas.plugin",
    jti,
    issuedAt: "20260505",
    expiresAt: "20260803",
  };
  tokens.push(await mintLicenseToken(input, keyring));
}

const encoder = new TextEncoder();
const signed = tokens.map((token) => {
  const { signedText, signature } = decodeLicenseToken(token).token;
  return { message: encoder.encode(signedText), signature };
});

/** Mean µs per call of `run` over every token, one at a time (latency, not throughput). */
async function timePerToken(run) {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (!(await run(i))) throw new Error(`token ${i} did not verify`);
  }
  return ((performance.now() - started) * 1000) / count;
}

const now = new Date("2026-06-01T00:00:00Z");
const present = (i) =>
  verifyPresentedToken({
    token: tokens[i],
    clientHeader: "claude-code-plugin/1.13.0",
    authTenantId: tenantId,
    keyring,
    now,
  });

await keyring.verify(signed[0].message, signed[0].signature); // imports the key outside the timing
const ed25519 = await timePerToken((i) => keyring.verify(signed[i].message, signed[i].signature));
const cold = await timePerToken(async (i) => (await present(i)).ok);
const memo = await timePerToken(async (i) => (await present(i)).ok);

console.log(`tokens=${count}`);
console.log(`ed25519_verify_us=${ed25519.toFixed(1)}`);
console.log(`token_verify_cold_us=${cold.toFixed(1)}`);
console.log(`token_verify_memo_us=${memo.toFixed(1)}`);
