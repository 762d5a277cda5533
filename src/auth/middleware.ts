/**
 * `requireTenant`: the Basic-auth gate of every governed route (platform.md §1.3). Runs after
 * requireDatabase. On success `c.var.identity` holds the identity derived from the credential
 * alone; caller-supplied `X-Tenant-ID` / `X-Client-ID` never influence it.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context";
import { errorA } from "../http/errors";
import { parseBasicAuthorization } from "./basic";
import { evaluateCredential } from "./credential-policy";
import { lookupCredential, touchRegistration } from "./credential-store";
import { AUTH_MESSAGES, UPGRADE_HINT } from "./messages";
import { hashSecret } from "./secret-hash";

export const requireTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credentials = parseBasicAuthorization(c.req.header("Authorization"));
  if (!credentials) return errorA(c, 401, AUTH_MESSAGES.missing);

  const { db, config } = c.var;
  const [record, presentedHash] = await Promise.all([
    lookupCredential(db, credentials.tenantId),
    hashSecret(credentials.secret, config.AXONFLOW_SECRET_PEPPER),
  ]);
  const now = new Date();
  const verdict = evaluateCredential(record, presentedHash, now);
  if (!verdict.ok) {
    c.var.log.log("info", "auth_rejected", { reason: verdict.reason });
    return errorA(c, 401, verdict.reason === "terminated" ? AUTH_MESSAGES.terminated : AUTH_MESSAGES.invalid);
  }

  const tenantId = credentials.tenantId;
  c.set("identity", { tenantId, clientId: tenantId, orgId: verdict.orgId, tier: "Free" });
  c.set("log", c.var.log.with({ tenantId }));
  db.background(() => touchRegistration(db, tenantId, 1, now));

  await next();

  if (!c.req.header("X-Axonflow-Client")?.trim()) c.header("X-Axonflow-Upgrade-Hint", UPGRADE_HINT);
};
