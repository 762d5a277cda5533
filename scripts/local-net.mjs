// Small helpers for the throwaway local services of dev, tests and benchmarks (127.0.0.1 only).
import net from "node:net";

/** A TCP port on 127.0.0.1 that is free right now (the OS picks it). @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `server` listening; resolves with the port it got (port 0 picks a free one) and a close().
 * @param {import("node:http").Server} server
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export function listenLocal(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
