/** A tenant credential as presented in `Authorization`. */
export interface BasicCredentials {
  tenantId: string;
  secret: string;
}

function decodeBase64(text: string): string | undefined {
  const normalized = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalized)) return undefined;
  try {
    const binary = atob(normalized.padEnd(Math.ceil(normalized.length / 4) * 4, "="));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Parses `Authorization: Basic base64(tenant_id:secret)` (split on the first `:`). An empty
 * `Basic ` (Cursor sends it), an undecodable value or an empty id or secret count as absent.
 * Codex's MCP plane may omit the scheme, so a single token without a space is read as the
 * base64 credential itself; any other scheme (e.g. Bearer) is not a tenant credential.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const match = /^(\S+)(?:\s+(.*))?$/.exec(value);
  if (!match) return undefined;
  let encoded: string | undefined;
  if (match[2] === undefined) encoded = match[1];
  else if (match[1]?.toLowerCase() === "basic") encoded = match[2].trim();
  if (!encoded) return undefined;
  const decoded = decodeBase64(encoded);
  if (decoded === undefined) return undefined;
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const tenantId = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (!tenantId || !secret) return undefined;
  return { tenantId, secret };
}
