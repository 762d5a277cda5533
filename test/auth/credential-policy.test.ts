import { describe, expect, it } from "vitest";
import { type CredentialRecord, evaluateCredential } from "../../src/credentials/check";
import { hashSecret } from "../../src/credentials/secret-hash";

const now = new Date("2026-06-01T00:00:00Z");
const pepper = "pepper-pepper-pepper";

async function record(overrides: Partial<CredentialRecord> = {}): Promise<CredentialRecord> {
  return {
    secretHash: await hashSecret("right", pepper),
    expiresAt: new Date("2027-01-01T00:00:00Z"),
    disabledAt: null,
    terminatedAt: null,
    orgId: "cs_org",
    ...overrides,
  };
}

describe("evaluateCredential", () => {
  it("accepts the right secret and returns the org", async () => {
    expect(evaluateCredential(await record(), await hashSecret("right", pepper), now)).toEqual({
      ok: true,
      orgId: "cs_org",
    });
  });

  it("checks in order: not found → terminated → disabled → expired → secret", async () => {
    const wrong = await hashSecret("wrong", pepper);
    const all = { terminatedAt: now, disabledAt: now, expiresAt: now };
    expect(evaluateCredential(undefined, wrong, now)).toEqual({ ok: false, reason: "not_found" });
    expect(evaluateCredential(await record(all), wrong, now)).toEqual({ ok: false, reason: "terminated" });
    expect(evaluateCredential(await record({ ...all, terminatedAt: null }), wrong, now)).toEqual({
      ok: false,
      reason: "disabled",
    });
    expect(evaluateCredential(await record({ expiresAt: now }), wrong, now)).toEqual({ ok: false, reason: "expired" });
    expect(evaluateCredential(await record(), wrong, now)).toEqual({ ok: false, reason: "secret_mismatch" });
  });

  it("never matches a cleared or foreign-algorithm hash", async () => {
    const presented = await hashSecret("right", pepper);
    expect(evaluateCredential(await record({ secretHash: "" }), presented, now).ok).toBe(false);
    expect(evaluateCredential(await record({ secretHash: "$2a$12$abcdefghijklmnopqrstuv" }), presented, now).ok).toBe(
      false,
    );
  });

  it("keys the hash with the pepper", async () => {
    expect(await hashSecret("right", pepper)).not.toBe(await hashSecret("right", `${pepper}!`));
    expect(await hashSecret("right", pepper)).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);
  });
});
