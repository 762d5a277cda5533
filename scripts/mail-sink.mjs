// Resend-compatible mail sink for local development and tests (local-dev.md):
//   POST   /emails  Resend's send call (any Bearer key) → {"id": "<uuid>"}
//   GET    /emails  every message received, oldest first
//   DELETE /emails  empties the sink
import { randomUUID } from "node:crypto";
import http from "node:http";
import { listenLocal } from "./local-net.mjs";

const MAX_BODY_BYTES = 1024 * 1024;

function toList(value) {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value !== "") return [value];
  return [];
}

function reply(res, status, body) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json" });
  res.end(text);
}

/**
 * @param {{ port: number, host?: string }} options
 * @returns {Promise<{ port: number, messages: object[], close: () => Promise<void> }>}
 */
export async function startMailSink({ port, host = "127.0.0.1" }) {
  const messages = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/emails") return reply(res, 404, { name: "not_found", message: "Not found" });
    if (req.method === "GET") return reply(res, 200, messages);
    if (req.method === "DELETE") {
      messages.length = 0;
      return reply(res, 200, { deleted: true });
    }
    if (req.method !== "POST") return reply(res, 405, { name: "method_not_allowed", message: "Method not allowed" });
    if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) {
      return reply(res, 401, { name: "missing_api_key", message: "Missing API key in the authorization header" });
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(res, 422, { name: "validation_error", message: "Invalid JSON body" });
      }
      if (typeof body?.from !== "string" || toList(body.to).length === 0 || typeof body.subject !== "string") {
        return reply(res, 422, { name: "validation_error", message: "from, to and subject are required" });
      }
      const id = randomUUID();
      messages.push({
        id,
        from: body.from,
        to: toList(body.to),
        subject: body.subject,
        text: typeof body.text === "string" ? body.text : "",
        html: typeof body.html === "string" ? body.html : "",
        created_at: new Date().toISOString(),
      });
      reply(res, 200, { id });
    });
  });
  const { port: listening, close } = await listenLocal(server, port, host);
  return { port: listening, messages, close };
}
