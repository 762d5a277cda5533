// WebSocket → TCP pipe that lets @neondatabase/serverless reach a local Postgres exactly as it
// reaches Neon's proxy in production. The driver's `?address=` is ignored on purpose: the proxy
// only ever dials the one local Postgres it was started for.
import net from "node:net";
import { WebSocketServer } from "ws";

/**
 * @param {{ port: number, pgHost?: string, pgPort: number, host?: string }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export function startWsProxy({ port, pgHost = "127.0.0.1", pgPort, host = "127.0.0.1" }) {
  return new Promise((resolve, reject) => {
    const sockets = new Set();
    const wss = new WebSocketServer({ host, port });
    wss.on("error", reject);
    wss.on("connection", (ws) => {
      const tcp = net.connect({ host: pgHost, port: pgPort });
      sockets.add(tcp);
      tcp.on("data", (chunk) => {
        if (ws.readyState === ws.OPEN) ws.send(chunk);
      });
      ws.on("message", (data) => tcp.write(data));
      const closeBoth = () => {
        sockets.delete(tcp);
        tcp.destroy();
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
      };
      tcp.on("close", closeBoth);
      tcp.on("error", closeBoth);
      ws.on("close", closeBoth);
      ws.on("error", closeBoth);
    });
    wss.on("listening", () => {
      const address = wss.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}
