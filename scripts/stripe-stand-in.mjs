// Stripe API stand-in for tests and local development (STRIPE_API_BASE_URL), just what erasure uses:
//   DELETE /v1/customers/<id>  → 200 {"id","object":"customer","deleted":true}; ids starting with
//                                `cus_fail` → 500 api_error, `cus_missing` → 404 resource_missing
//   GET    /requests           every customer request received, oldest first (never the key)
//   DELETE /requests           empties that list
import http from "node:http";
import { listenLocal } from "./local-net.mjs";

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "request-id": `req_${Date.now()}` });
  res.end(JSON.stringify(body));
}

/**
 * @param {{ port: number, host?: string }} options
 * @returns {Promise<{ port: number, requests: object[], close: () => Promise<void> }>}
 */
export async function startStripeStandIn({ port, host = "127.0.0.1" }) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    req.resume();
    if (path === "/requests") {
      if (req.method === "DELETE") requests.length = 0;
      return reply(res, 200, requests);
    }
    const match = /^\/v1\/customers\/([^/]+)$/.exec(path);
    if (!match)
      return reply(res, 404, { error: { type: "invalid_request_error", message: "Unrecognized request URL" } });
    const id = decodeURIComponent(match[1]);
    const authorized = /^Bearer sk_\S+$/.test(req.headers.authorization ?? "");
    requests.push({ method: req.method, id, authorized, at: new Date().toISOString() });
    if (!authorized) return reply(res, 401, { error: { type: "invalid_request_error", message: "Invalid API Key" } });
    if (req.method !== "DELETE")
      return reply(res, 405, { error: { type: "invalid_request_error", message: "stand-in: DELETE only" } });
    if (id.startsWith("cus_fail"))
      return reply(res, 500, { error: { type: "api_error", message: "stand-in failure" } });
    if (id.startsWith("cus_missing")) {
      return reply(res, 404, {
        error: { type: "invalid_request_error", code: "resource_missing", message: `No such customer: '${id}'` },
      });
    }
    return reply(res, 200, { id, object: "customer", deleted: true });
  });
  const { port: listening, close } = await listenLocal(server, port, host);
  return { port: listening, requests, close };
}
