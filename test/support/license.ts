import { formatLicenseDate, type LicenseTier, mintLicenseToken } from "../../src/license/codec";
import { createKeyring } from "../../src/license/keys";
import type { Audience } from "../../src/license/matrix";
import { superuser } from "./db";
import { testEnv } from "./tenant";

/** The test run's keyring (vitest.config.ts generates the pair). */
export const testKeyring = () =>
  createKeyring({
    signingKey: testEnv.AXONFLOW_PLUGIN_CLAIMED_SIGNING_KEY,
    publicKey: testEnv.AXONFLOW_PLUGIN_CLAIMED_PUBLIC_KEY,
  });

const DAY_MS = 86_400_000;

export interface TestLicense {
  token: string;
  jti: string;
}

/** Mints a token and (unless `row` is false) stores its active license row, as billing would. */
export async function issueTestLicense(
  tenantId: string,
  options: { tier?: LicenseTier; aud?: Audience; issuedDaysAgo?: number; validityDays?: number; row?: boolean } = {},
): Promise<TestLicense> {
  const { tier = "Pro", aud = "axonflow.saas.plugin", issuedDaysAgo = 0, validityDays = 90, row = true } = options;
  const jti = crypto.randomUUID();
  const issued = new Date(Date.now() - issuedDaysAgo * DAY_MS);
  const expires = new Date(issued.getTime() + validityDays * DAY_MS);
  const token = await mintLicenseToken(
    {
      tier,
      tenantId,
      aud,
      jti,
      issuedAt: formatLicenseDate(issued),
      expiresAt: formatLicenseDate(expires),
      email: "buyer@example.com",
    },
    testKeyring(),
  );
  if (row) {
    await superuser(
      `insert into plugin_user_licenses (tenant_id, org_id, claimed_by_email, tier, license_token_jti, issued_at, expires_at)
       values ($1, $1, 'buyer@example.com', $2, $3, $4, $5)`,
      [tenantId, tier, jti, issued.toISOString(), expires.toISOString()],
    );
  }
  return { token, jti };
}
