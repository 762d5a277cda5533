/**
 * Stripe-Signature checks (platform.md §3.1 step 5). The stripe SDK does the HMAC work (any
 * matching v1, constant time, SubtleCrypto in workerd); the header pre-check adds what the SDK
 * leaves out: `t` must be an integer and the timestamp may be at most 300 s off in *either*
 * direction (the SDK only rejects old ones).
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

type StripeVerifier = {
  signature: NonNullable<typeof import("stripe")["default"]["webhooks"]["signature"]>;
  cryptoProvider: ReturnType<typeof import("stripe")["default"]["createSubtleCryptoProvider"]>;
};
let verifier: Promise<StripeVerifier> | undefined;

/** The SDK is large and only webhooks need it, so it loads on the first one, not at isolate start. */
function loadVerifier(): Promise<StripeVerifier> {
  verifier ??= import("stripe").then(({ default: Stripe }) => {
    const signature = Stripe.webhooks.signature;
    if (!signature) throw new Error("stripe SDK without webhook signature support");
    return { signature, cryptoProvider: Stripe.createSubtleCryptoProvider() };
  });
  return verifier;
}

/** Parses `t=<unix>,v1=<hex>[,v1=…][,v0=…]`; undefined when `t` or every v1 is missing. */
export function parseSignatureHeader(header: string): { timestamp: number; v1: string[] } | undefined {
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (!/^-?\d{1,19}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === "v1") {
      v1.push(value);
    }
  }
  if (!timestamp || v1.length === 0) return undefined;
  return { timestamp, v1 };
}

/** True when `header` signs `body` with `secret` within the tolerance around `nowMs`. */
export async function verifyStripeSignature(
  body: string,
  header: string | undefined,
  secret: string,
  nowMs: number,
): Promise<boolean> {
  if (!header || !secret) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(Math.floor(nowMs / 1000) - parsed.timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const { signature, cryptoProvider } = await loadVerifier();
  try {
    await signature.verifyHeaderAsync(body, header, secret, SIGNATURE_TOLERANCE_SECONDS, cryptoProvider, nowMs);
    return true;
  } catch {
    return false;
  }
}
