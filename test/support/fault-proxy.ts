/**
 * An HTTP proxy in front of one real local server (fauxqs, DynamoDB Local, the OpenSearch recorder)
 * that a test or benchmark can switch into an outage and back:
 *   - `pass`: every request is forwarded as it is;
 *   - `refuse`: the port is closed and every open connection destroyed, so clients see a real
 *     ECONNREFUSED / ECONNRESET;
 *   - `status`: every request is answered with that HTTP status (e.g. 503) and an error body.
 * The port stays the same across modes, so a daemon started against it needs no reconfiguration.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'refuse' } | { kind: 'status'; status: number };

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  mode(): FaultMode;
  /** Switch mode; resolves once the new mode is in force (the port is closed or listening again). */
  set(mode: FaultMode): Promise<void>;
  /** Requests seen (forwarded or failed) since start. */
  requests(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, options: { port?: number } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  let current: FaultMode = { kind: 'pass' };
  let seen = 0;
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    seen += 1;
    if (current.kind === 'status') {
      const status = current.status;
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceUnavailable' });
      res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `fault proxy: injected ${status}` }));
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server, options.port ?? 0);
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: () => current,
    requests: () => seen,
    async set(mode) {
      const wasRefusing = current.kind === 'refuse';
      current = mode;
      if (mode.kind === 'refuse' && !wasRefusing) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      } else if (mode.kind !== 'refuse' && wasRefusing) {
        await listen(server, port);
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
