/**
 * The route security checks every authenticated route must pass, written once. A route's test
 * file adds them with one line: `describeAuthSecurity("POST /api/v1/x", (auth) => call(...))`.
 */
import { describe, it } from "vitest";
import { AUTH_MESSAGES } from "../../src/auth/messages";
import { superuser } from "./db";
import { basic, expectErrorA, registerTenant } from "./http";

/** Sends the route's request with the given Authorization header (undefined = none). */
export type AuthorizedRequest = (authorization: string | undefined) => Promise<Response>;

export function describeAuthSecurity(route: string, send: AuthorizedRequest): void {
  describe(`${route} — authentication`, () => {
    it("answers 401 'Registration required' without credentials", async () => {
      await expectErrorA(await send(undefined), 401, AUTH_MESSAGES.missing);
    });

    it("treats an empty Basic credential as absent", async () => {
      await expectErrorA(await send("Basic "), 401, AUTH_MESSAGES.missing);
    });

    it("treats a malformed Basic credential as absent", async () => {
      await expectErrorA(await send("Basic %%%not-base64%%%"), 401, AUTH_MESSAGES.missing);
      await expectErrorA(await send(`Basic ${btoa("no-colon-here")}`), 401, AUTH_MESSAGES.missing);
      await expectErrorA(await send(`Basic ${btoa("cs_only-id:")}`), 401, AUTH_MESSAGES.missing);
    });

    it("answers the generic 401 for an unknown tenant", async () => {
      await expectErrorA(await send(basic(`cs_${crypto.randomUUID()}`, "0".repeat(32))), 401, AUTH_MESSAGES.invalid);
    });

    it("answers the generic 401 for a wrong secret", async () => {
      const tenant = await registerTenant();
      await expectErrorA(
        await send(basic(tenant.tenant_id, `${tenant.secret.slice(0, 31)}x`)),
        401,
        AUTH_MESSAGES.invalid,
      );
    });

    it("answers the terminated message for a tenant terminated by retention", async () => {
      const tenant = await registerTenant();
      await superuser("update community_saas_registrations set terminated_at = now() where tenant_id = $1", [
        tenant.tenant_id,
      ]);
      await expectErrorA(await send(basic(tenant.tenant_id, tenant.secret)), 401, AUTH_MESSAGES.terminated);
    });

    it("answers the generic 401 for a disabled tenant", async () => {
      const tenant = await registerTenant();
      await superuser("update community_saas_registrations set disabled_at = now() where tenant_id = $1", [
        tenant.tenant_id,
      ]);
      await expectErrorA(await send(basic(tenant.tenant_id, tenant.secret)), 401, AUTH_MESSAGES.invalid);
    });

    it("answers the generic 401 for an expired registration", async () => {
      const tenant = await registerTenant();
      await superuser(
        "update community_saas_registrations set expires_at = now() - interval '1 second' where tenant_id = $1",
        [tenant.tenant_id],
      );
      await expectErrorA(await send(basic(tenant.tenant_id, tenant.secret)), 401, AUTH_MESSAGES.invalid);
    });
  });
}
