/**
 * An HTTP proxy that adds a fixed latency in front of one local server, for benchmarks that need
 * the round trip of a remote service (S3 in a region, ~tens of ms to the first byte) from a stand-in
 * that answers in a fraction of a millisecond. fauxqs has no latency hook of its own, and the fault
 * proxy (test/support/fault-proxy.ts) only switches between passing, refusing and failing; this one
 * only delays: each request is held `delayMs` after its headers arrive, then forwarded as it is
 * (body streamed, upstream connections kept alive) and the answer piped back.
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface LatencyProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Requests forwarded so far. */
  requests(): number;
  close(): Promise<void>;
}

export async function startLatencyProxy(target: string, delayMs: number): Promise<LatencyProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let seen = 0;
  const server: Server = createServer((req, res) => {
    seen += 1;
    req.pause(); // the body waits with the request
    const timer = setTimeout(() => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
      req.resume();
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => seen,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
