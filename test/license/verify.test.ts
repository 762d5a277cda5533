import { beforeAll, describe, expect, it, vi } from "vitest";
import { encodeLicenseToken, type LicenseClaims, mintLicenseToken } from "../../src/license/codec";
import { createKeyring, type Keyring } from "../../src/license/keys";
import { AUDIENCES, type Audience } from "../../src/license/matrix";
import {
  LICENSE_LOOKUP_REJECTIONS,
  type PresentedToken,
  SIGNATURE_MEMO_LIMIT,
  verifyPresentedToken,
} from "../../src/license/verify";
import { JTI, newTestKeys, PRO_LICENSE, TENANT, type TestKeys } from "./fixtures";

let keys: TestKeys;
let proToken: string;
beforeAll(async () => {
  keys = await newTestKeys();
  proToken = await mintLicenseToken(PRO_LICENSE, keys.issuer);
});

/** Inside the 90-day validity of PRO_LICENSE (20260505 → 20260803). */
const DURING_VALIDITY = new Date("2026-06-01T12:00:00Z");
const PLUGIN_CLIENT = "claude-code-plugin/1.13.0";

const present = (token: string, overrides: Partial<PresentedToken> = {}) =>
  verifyPresentedToken({
    token,
    clientHeader: PLUGIN_CLIENT,
    authTenantId: TENANT,
    keyring: keys.verifier,
    now: DURING_VALIDITY,
    ...overrides,
  });

/** V3 claims as the issuer writes them, for payloads mint would refuse to build. */
const v3Claims = (overrides: LicenseClaims = {}): LicenseClaims => ({
  tier: "Pro",
  deployment_id: "axonflow-community-saas",
  org_id: "axonflow-community-saas",
  issued_at: "20260505",
  expires_at: "20260803",
  tenant_id: TENANT,
  aud: "axonflow.saas.plugin",
  jti: JTI,
  kid: "v3-2026-05-04",
  ...overrides,
});

const invalid = (underlying: string) => ({ ok: false, status: 401, message: `invalid_license_token: ${underlying}` });

describe("verifyPresentedToken — the License Matrix on the SaaS plugin path", () => {
  // X-Axonflow-Client value → the scope platform.md §2.4 derives from it (written out, not computed).
  const clients: [header: string, scope: string][] = [
    ["", "full"],
    ["openclaw/2.1.0", "plugin"],
    ["claude-code-plugin/1.13.0", "plugin"],
    ["cursor-plugin/1.7.0", "plugin"],
    ["codex-plugin/1.7.0", "plugin"],
    ["sdk-typescript/7.7.0", "sdk"],
    ["mcp-proxy/0.3.1", "full"],
    ["other/1.0", "full"],
  ];
  // aud → what it may do here: rejected as cross-quadrant, accepted for plugin scope only, or accepted for all.
  const audiences: [aud: Audience, grants: "cross_quadrant" | "plugin_only" | "every_scope"][] = [
    ["axonflow.saas.plugin", "plugin_only"],
    ["axonflow.saas.sdk", "cross_quadrant"],
    ["axonflow.saas.full", "every_scope"],
    ["axonflow.self_hosted.plugin", "cross_quadrant"],
    ["axonflow.self_hosted.sdk", "cross_quadrant"],
    ["axonflow.self_hosted.full", "cross_quadrant"],
    ["community_saas_plugin", "plugin_only"],
  ];
  const cases = audiences.flatMap(([aud, grants]) =>
    clients.map(([client, scope]) => {
      const expected =
        grants === "cross_quadrant"
          ? { ok: false, status: 401, message: `cross_quadrant_token: aud "${aud}" not accepted on SaaS plugin path` }
          : grants === "plugin_only" && scope !== "plugin"
            ? {
                ok: false,
                status: 401,
                message: `scope_mismatch: token aud "${aud}" does not grant scope "${scope}" (client "${client}")`,
              }
            : { ok: true };
      return { aud, client, expected };
    }),
  );

  it("covers every audience", () => {
    expect(audiences.map(([aud]) => aud).sort()).toEqual(Object.keys(AUDIENCES).sort());
    expect(cases).toHaveLength(56);
  });

  it.each(cases)("aud $aud with client '$client'", async ({ aud, client, expected }) => {
    const token = await mintLicenseToken({ ...PRO_LICENSE, aud }, keys.issuer);
    const verdict = await present(token, { clientHeader: client });
    if (expected.ok) {
      expect(verdict).toMatchObject({ ok: true, expired: false, claims: { aud, tenantId: TENANT } });
    } else {
      expect(verdict).toEqual(expected);
    }
  });

  it("spells out the reference's proof case: a Pro plugin token sent by the TypeScript SDK", async () => {
    expect(await present(proToken, { clientHeader: "sdk-typescript/7.7.0" })).toEqual({
      ok: false,
      status: 401,
      message:
        'scope_mismatch: token aud "axonflow.saas.plugin" does not grant scope "sdk" (client "sdk-typescript/7.7.0")',
    });
  });

  it("treats an absent X-Axonflow-Client as full scope, which a plugin-scoped token does not grant", async () => {
    for (const clientHeader of [null, undefined]) {
      expect(await present(proToken, { clientHeader })).toEqual({
        ok: false,
        status: 401,
        message: 'scope_mismatch: token aud "axonflow.saas.plugin" does not grant scope "full" (client "")',
      });
    }
  });

  it("rejects an aud-less token as cross-quadrant", async () => {
    const { aud: _, ...withoutAud } = v3Claims();
    const token = await encodeLicenseToken(withoutAud, keys.issuer);
    expect(await present(token)).toEqual({
      ok: false,
      status: 401,
      message: 'cross_quadrant_token: aud "" not accepted on SaaS plugin path',
    });
  });
});

describe("verifyPresentedToken — accepted tokens", () => {
  it("returns the typed claims of a valid V3 token", async () => {
    expect(await present(proToken)).toEqual({
      ok: true,
      expired: false,
      claims: {
        tier: "Pro",
        tenantId: TENANT,
        jti: JTI,
        aud: "axonflow.saas.plugin",
        deploymentId: "axonflow-community-saas",
        issuedAt: "20260505",
        expiresAt: "20260803",
        email: "buyer@example.com",
        kid: "v3-2026-05-04",
      },
    });
  });

  it("accepts Premium", async () => {
    const token = await mintLicenseToken({ ...PRO_LICENSE, tier: "Premium" }, keys.issuer);
    expect(await present(token)).toMatchObject({ ok: true, claims: { tier: "Premium" } });
  });

  it("verifies a V2 payload (platform.md §2.1, no deployment_id) and reads org_id as the deployment", async () => {
    const v2 = {
      tier: "Pro",
      org_id: "community-saas",
      issued_at: "20260505",
      expires_at: "20260803",
      email: "buyer@example.com",
      tenant_id: TENANT,
      aud: "axonflow.saas.plugin",
      jti: JTI,
      kid: "v3-2026-05-04",
    };
    const token = await encodeLicenseToken(v2, keys.issuer);
    expect(await present(token)).toMatchObject({ ok: true, claims: { deploymentId: "community-saas", tier: "Pro" } });
  });

  it("verifies with a seed-only keyring too", async () => {
    expect(await present(proToken, { keyring: createKeyring({ signingKey: keys.seed }) })).toMatchObject({ ok: true });
  });
});

describe("verifyPresentedToken — expiry with 24 h grace (expired is a Free fallback, not an error)", () => {
  it.each([
    ["on the expiry date", "2026-08-03T12:00:00Z", false],
    ["at the last instant of the grace day", "2026-08-04T00:00:00.000Z", false],
    ["1 ms after the grace period", "2026-08-04T00:00:00.001Z", true],
    ["long after", "2027-01-01T00:00:00Z", true],
  ])("%s → expired %s", async (_, now, expired) => {
    expect(await present(proToken, { now: new Date(now) })).toMatchObject({ ok: true, expired });
  });

  it("rejects a signed token whose expires_at is not a date", async () => {
    const token = await encodeLicenseToken(v3Claims({ expires_at: "2026-08-03" }), keys.issuer);
    expect(await present(token)).toEqual(invalid('token expires_at "2026-08-03" is not a YYYYMMDD date'));
  });
});

describe("verifyPresentedToken — rejected tokens and their exact messages", () => {
  it("rejects a token with a tampered payload", async () => {
    const dot = proToken.lastIndexOf(".");
    const forgedPayload = btoa(JSON.stringify(v3Claims({ tenant_id: "cs_attacker" })))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const forged = `AXON-${forgedPayload}${proToken.slice(dot)}`;
    expect(await present(forged, { authTenantId: "cs_attacker" })).toEqual(
      invalid("Ed25519 signature verification failed"),
    );
  });

  it("rejects a token with a tampered signature", async () => {
    const dot = proToken.lastIndexOf(".");
    const first = proToken[dot + 1];
    const tampered = `${proToken.slice(0, dot + 1)}${first === "A" ? "B" : "A"}${proToken.slice(dot + 2)}`;
    expect(await present(tampered)).toEqual(invalid("Ed25519 signature verification failed"));
  });

  it("rejects a token signed with another key", async () => {
    const foreign = await mintLicenseToken(PRO_LICENSE, (await newTestKeys()).issuer);
    expect(await present(foreign)).toEqual(invalid("Ed25519 signature verification failed"));
  });

  it.each([
    ["no AXON- prefix", (t: string) => t.slice(5), "token must start with AXON-"],
    ["an empty value", () => "", "token must start with AXON-"],
    ["a missing dot", (t: string) => t.replace(".", ""), "malformed token"],
    ["bad base64", (t: string) => t.replace(".", "!."), "malformed token"],
    ["a truncated signature", (t: string) => t.slice(0, -2), "Ed25519 signature verification failed"],
  ])("rejects %s", async (_, mangle, underlying) => {
    expect(await present(mangle(proToken))).toEqual(invalid(underlying));
  });

  it("rejects a non-plugin tier before looking at the signature", async () => {
    const community = await encodeLicenseToken(v3Claims({ tier: "Community" }), keys.issuer);
    expect(await present(community)).toEqual(invalid('token tier "Community" is not a SaaS Plugin tier'));
    const unsigned = `${community.slice(0, community.lastIndexOf("."))}.${"A".repeat(86)}`;
    expect(await present(unsigned)).toEqual(invalid('token tier "Community" is not a SaaS Plugin tier'));
    const { tier: _, ...tierless } = v3Claims();
    expect(await present(await encodeLicenseToken(tierless, keys.issuer))).toEqual(
      invalid('token tier "" is not a SaaS Plugin tier'),
    );
  });

  it("checks the signature before the audience", async () => {
    const selfHosted = await mintLicenseToken(
      { ...PRO_LICENSE, aud: "axonflow.self_hosted.full" },
      (await newTestKeys()).issuer,
    );
    expect(await present(selfHosted)).toEqual(invalid("Ed25519 signature verification failed"));
  });

  it.each([
    ["tenant_id", { tenant_id: "" }],
    ["jti", { jti: "" }],
  ])("rejects a token with an empty %s, before the scope check", async (_, override) => {
    const token = await encodeLicenseToken(v3Claims(override), keys.issuer);
    expect(await present(token, { clientHeader: "sdk-typescript/7.7.0" })).toEqual(invalid("missing tenant_id or jti"));
  });

  it("answers 403 when the token belongs to another tenant", async () => {
    expect(await present(proToken, { authTenantId: "cs_00000000-0000-4000-8000-000000000000" })).toEqual({
      ok: false,
      status: 403,
      message: "license_tenant_mismatch: token tenant_id does not match authenticated tenant",
    });
  });

  it("orders the checks: audience before tenant, scope before tenant, tenant before expiry", async () => {
    const otherTenant = "cs_00000000-0000-4000-8000-000000000000";
    const selfHosted = await mintLicenseToken({ ...PRO_LICENSE, aud: "axonflow.self_hosted.full" }, keys.issuer);
    expect(await present(selfHosted, { authTenantId: otherTenant })).toMatchObject({
      message: 'cross_quadrant_token: aud "axonflow.self_hosted.full" not accepted on SaaS plugin path',
    });
    expect(await present(proToken, { authTenantId: otherTenant, clientHeader: "other/1.0" })).toMatchObject({
      status: 401,
      message: expect.stringMatching(/^scope_mismatch: /),
    });
    expect(await present(proToken, { authTenantId: otherTenant, now: new Date("2030-01-01T00:00:00Z") })).toMatchObject(
      { status: 403 },
    );
  });

  it("never throws, whatever the header carries", async () => {
    const junk = [
      "AXON-.",
      "AXON-..",
      "AXON-e30.",
      "AXON-e30.AA",
      "AXON-bnVsbA.AA",
      "AXON-IjEi.AA",
      "AXON-\u0000.\u0000",
    ];
    for (const token of junk) {
      expect(await present(token), token).toMatchObject({ ok: false, status: 401 });
    }
  });
});

describe("the verified-signature memo", () => {
  /** A keyring that counts verifications; a fresh object gets a fresh memo. */
  const countingKeyring = (inner: Keyring) => ({
    canMint: inner.canMint,
    sign: (message: Uint8Array) => inner.sign(message),
    verify: vi.fn((message: Uint8Array, signature: Uint8Array) => inner.verify(message, signature)),
  });

  it("verifies a token's signature once, yet re-runs the per-request checks", async () => {
    const keyring = countingKeyring(keys.verifier);
    expect(await present(proToken, { keyring })).toMatchObject({ ok: true });
    expect(await present(proToken, { keyring })).toMatchObject({ ok: true });
    expect(keyring.verify).toHaveBeenCalledTimes(1);

    expect(await present(proToken, { keyring, clientHeader: "sdk-typescript/7.7.0" })).toMatchObject({
      message: expect.stringMatching(/^scope_mismatch: /),
    });
    expect(await present(proToken, { keyring, authTenantId: "cs_other" })).toMatchObject({ status: 403 });
    expect(await present(proToken, { keyring, now: new Date("2030-01-01T00:00:00Z") })).toMatchObject({
      expired: true,
    });
    expect(keyring.verify).toHaveBeenCalledTimes(1);
  });

  it("does not remember failures, nor share entries between keyrings", async () => {
    const keyring = countingKeyring(keys.verifier);
    const foreign = await mintLicenseToken(PRO_LICENSE, (await newTestKeys()).issuer);
    await present(foreign, { keyring });
    expect(await present(foreign, { keyring })).toEqual(invalid("Ed25519 signature verification failed"));
    expect(keyring.verify).toHaveBeenCalledTimes(2);

    const other = countingKeyring(keys.verifier);
    await present(proToken, { keyring });
    await present(proToken, { keyring: other });
    expect(other.verify).toHaveBeenCalledTimes(1);
  });

  it(`holds at most ${SIGNATURE_MEMO_LIMIT} tokens, evicting the least recently used`, async () => {
    // Signatures here are not real: the fake keyring accepts anything, so 10k tokens cost nothing.
    const keyring = {
      canMint: true,
      sign: async () => new Uint8Array(64),
      verify: vi.fn(async () => true),
    };
    const tokenFor = (i: number) => encodeLicenseToken(v3Claims({ jti: `jti-${i}` }), keyring);
    const tokens = await Promise.all(Array.from({ length: SIGNATURE_MEMO_LIMIT + 1 }, (_, i) => tokenFor(i)));
    const [first = "", second = "", third = ""] = tokens;

    for (const token of tokens.slice(0, SIGNATURE_MEMO_LIMIT)) await present(token, { keyring });
    await present(first, { keyring }); // a hit: `first` becomes the most recently used
    await present(tokens[SIGNATURE_MEMO_LIMIT] ?? "", { keyring }); // the memo is full: evicts `second`
    expect(keyring.verify).toHaveBeenCalledTimes(SIGNATURE_MEMO_LIMIT + 1);

    await present(first, { keyring });
    await present(third, { keyring });
    expect(keyring.verify).toHaveBeenCalledTimes(SIGNATURE_MEMO_LIMIT + 1);
    await present(second, { keyring });
    expect(keyring.verify).toHaveBeenCalledTimes(SIGNATURE_MEMO_LIMIT + 2);
  });
});

describe("rejections after the jti lookup", () => {
  it("carries the exact §2.6 statuses and messages", () => {
    expect(LICENSE_LOOKUP_REJECTIONS.notFoundOrRevoked).toEqual({
      status: 401,
      message: "license_not_found_or_revoked",
    });
    expect(LICENSE_LOOKUP_REJECTIONS.tenantMismatch).toEqual({ status: 403, message: "license_tenant_mismatch" });
    expect(LICENSE_LOOKUP_REJECTIONS.unavailable(JTI)).toEqual({
      status: 503,
      message: `license_lookup_unavailable (jti=${JTI})`,
    });
  });
});
