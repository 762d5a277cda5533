import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_DEPLOYMENT_ID,
  decodeLicenseToken,
  deploymentIdOf,
  encodeLicenseToken,
  formatLicenseDate,
  LicenseInputError,
  licenseExpiry,
  mintLicenseToken,
  parseLicenseDate,
  SIGNING_KEY_ID,
} from "../../src/license/codec";
import { JTI, newTestKeys, PRO_LICENSE, payloadOf, TENANT, type TestKeys } from "./fixtures";

let keys: TestKeys;
beforeAll(async () => {
  keys = await newTestKeys();
});

const fromBase64Url = (text: string) => {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
};

describe("mintLicenseToken (V3)", () => {
  it("has the wire shape AXON-<raw base64url payload>.<raw base64url 64-byte signature>", async () => {
    const token = await mintLicenseToken(PRO_LICENSE, keys.issuer);
    expect(token).toMatch(/^AXON-[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
  });

  it("writes the V3 payload keys in Go struct order with deployment_id = org_id", async () => {
    const token = await mintLicenseToken(PRO_LICENSE, keys.issuer);
    const payload = payloadOf(token);
    expect(Object.keys(payload)).toEqual([
      "tier",
      "deployment_id",
      "org_id",
      "issued_at",
      "expires_at",
      "email",
      "tenant_id",
      "aud",
      "jti",
      "kid",
    ]);
    expect(payload).toEqual({
      tier: "Pro",
      deployment_id: "axonflow-community-saas",
      org_id: "axonflow-community-saas",
      issued_at: "20260505",
      expires_at: "20260803",
      email: "buyer@example.com",
      tenant_id: TENANT,
      aud: "axonflow.saas.plugin",
      jti: JTI,
      kid: "v3-2026-05-04",
    });
    expect(DEFAULT_DEPLOYMENT_ID).toBe("axonflow-community-saas");
    expect(SIGNING_KEY_ID).toBe("v3-2026-05-04");
  });

  it("uses the configured deployment id and leaves an empty email out", async () => {
    const token = await mintLicenseToken(
      { ...PRO_LICENSE, tier: "Premium", email: "", deploymentId: "edge-staging" },
      keys.issuer,
    );
    const payload = payloadOf(token);
    expect(payload).not.toHaveProperty("email");
    expect(payload).toMatchObject({ tier: "Premium", deployment_id: "edge-staging", org_id: "edge-staging" });
  });

  it("signs the base64url payload text, verifiable with plain WebCrypto and the public key", async () => {
    const token = await mintLicenseToken(PRO_LICENSE, keys.issuer);
    const dot = token.lastIndexOf(".");
    const publicKey = await crypto.subtle.importKey(
      "raw",
      fromBase64Url(keys.publicKey.replace(/=+$/, "")),
      "Ed25519",
      false,
      ["verify"],
    );
    const signature = fromBase64Url(token.slice(dot + 1));
    const signedText = new TextEncoder().encode(token.slice("AXON-".length, dot));
    expect(await crypto.subtle.verify("Ed25519", publicKey, signature, signedText)).toBe(true);
    const rawJson = fromBase64Url(token.slice("AXON-".length, dot));
    expect(await crypto.subtle.verify("Ed25519", publicKey, signature, rawJson)).toBe(false);
  });

  it("is deterministic: the same input and key give a byte-identical token", async () => {
    const first = await mintLicenseToken(PRO_LICENSE, keys.issuer);
    const again = await mintLicenseToken({ ...PRO_LICENSE }, keys.issuer);
    expect(again).toBe(first);
    const otherJti = await mintLicenseToken(
      { ...PRO_LICENSE, jti: "00000000-0000-4000-8000-000000000001" },
      keys.issuer,
    );
    expect(otherJti).not.toBe(first);
    const otherKey = await mintLicenseToken(PRO_LICENSE, (await newTestKeys()).issuer);
    expect(otherKey.slice(0, otherKey.lastIndexOf("."))).toBe(first.slice(0, first.lastIndexOf(".")));
    expect(otherKey).not.toBe(first);
  });

  it.each([
    ["a non-plugin tier", { tier: "Community" }, "tier must be one of Pro, Premium"],
    ["an unknown aud", { aud: "axonflow.saas.http" }, 'aud "axonflow.saas.http" is not a known audience'],
    ["an empty tenant", { tenantId: "" }, "tenant id must not be empty"],
    ["an empty jti", { jti: "" }, "jti must not be empty"],
    ["a malformed issued_at", { issuedAt: "2026-05-05" }, 'issued_at "2026-05-05" is not a YYYYMMDD date'],
    ["an impossible expires_at", { expiresAt: "20260231" }, 'expires_at "20260231" is not a YYYYMMDD date'],
    ["expiry before issue", { expiresAt: "20260504" }, "expires_at is before issued_at"],
  ])("rejects %s", async (_, override, message) => {
    const attempt = mintLicenseToken({ ...PRO_LICENSE, ...override } as typeof PRO_LICENSE, keys.issuer);
    await expect(attempt).rejects.toBeInstanceOf(LicenseInputError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe("decodeLicenseToken", () => {
  it("returns the signed text, the signature and the claims", async () => {
    const token = await mintLicenseToken(PRO_LICENSE, keys.issuer);
    const decoded = decodeLicenseToken(token);
    if (!decoded.ok) throw new Error(decoded.reason);
    const dot = token.lastIndexOf(".");
    expect(decoded.token.signedText).toBe(token.slice(5, dot));
    expect(decoded.token.signature).toHaveLength(64);
    expect(decoded.token.claims).toEqual(payloadOf(token));
  });

  it("ignores unknown fields and treats null claims as absent", async () => {
    const token = await encodeLicenseToken(
      { tier: "Pro", permissions: ["a"], limits: { x: 1 }, email: null } as never,
      keys.issuer,
    );
    const decoded = decodeLicenseToken(token);
    expect(decoded.ok && decoded.token.claims).toEqual({ tier: "Pro" });
  });

  const body = (json: string) => btoa(json).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const SIGNATURE = "A".repeat(86);
  it.each([
    ["an empty string", "", "token must start with AXON-"],
    ["a lower-case prefix", `axon-${body('{"tier":"Pro"}')}.${SIGNATURE}`, "token must start with AXON-"],
    ["a bare cs_ secret", "cs_0123", "token must start with AXON-"],
    ["no dot", `AXON-${body('{"tier":"Pro"}')}`, "malformed token"],
    ["only the prefix", "AXON-", "malformed token"],
    [
      "a base64 character outside the url alphabet",
      `AXON-+${body('{"tier":"Pro"}').slice(1)}.${SIGNATURE}`,
      "malformed token",
    ],
    ["padding", `AXON-${btoa('{"tier":"Pro"}')}.${SIGNATURE}`, "malformed token"],
    [
      "non-canonical trailing bits in the signature",
      `AXON-${body('{"tier":"Pro"}')}.${"A".repeat(85)}B`,
      "malformed token",
    ],
    [
      "a second dot (split on the last one)",
      `AXON-${body('{"tier":"Pro"}')}.${SIGNATURE}.${SIGNATURE}`,
      "malformed token",
    ],
    ["a payload that is not JSON", `AXON-${body("tier=Pro")}.${SIGNATURE}`, "malformed token"],
    ["a JSON array payload", `AXON-${body('["Pro"]')}.${SIGNATURE}`, "malformed token"],
    ["a non-string claim", `AXON-${body('{"tier":"Pro","expires_at":20260803}')}.${SIGNATURE}`, "malformed token"],
    ["invalid UTF-8", `AXON-${body('{"tier":"\xff"}')}.${SIGNATURE}`, "malformed token"],
  ])("rejects %s", (_, token, reason) => {
    expect(decodeLicenseToken(token)).toEqual({ ok: false, reason });
  });
});

describe("deploymentIdOf", () => {
  it("prefers V3 deployment_id and falls back to the V2 org_id", () => {
    expect(deploymentIdOf({ deployment_id: "d", org_id: "o" })).toBe("d");
    expect(deploymentIdOf({ org_id: "community-saas" })).toBe("community-saas");
    expect(deploymentIdOf({ deployment_id: "", org_id: "o" })).toBe("o");
    expect(deploymentIdOf({})).toBeUndefined();
  });
});

describe("license dates", () => {
  it("formats and parses YYYYMMDD in UTC", () => {
    expect(formatLicenseDate(new Date("2026-05-05T23:59:59Z"))).toBe("20260505");
    expect(parseLicenseDate("20260505")).toBe(Date.parse("2026-05-05T00:00:00Z"));
    expect(parseLicenseDate("20240229")).toBe(Date.parse("2024-02-29T00:00:00Z"));
    for (const text of ["20260231", "20261301", "2026-05-05", "2026055", "202605050", " 20260505", ""]) {
      expect(parseLicenseDate(text), text).toBeUndefined();
    }
  });

  it("adds validity days, 0 meaning a hundred years", () => {
    expect(licenseExpiry("20260505", 90)).toBe("20260803");
    expect(licenseExpiry("20261215", 30)).toBe("20270114");
    expect(licenseExpiry("20260505", 0)).toBe("21260505");
    expect(() => licenseExpiry("20260505", -1)).toThrow(LicenseInputError);
    expect(() => licenseExpiry("20260505", 1.5)).toThrow(LicenseInputError);
    expect(() => licenseExpiry("2026-05-05", 90)).toThrow(LicenseInputError);
  });
});
