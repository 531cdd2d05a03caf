import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../observability/metrics.ts';

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  readiness: () => Readiness;
}

export interface RunningHttpServer {
  port: number;
  close(): Promise<void>;
}

/** /healthz (event loop alive), /readyz (503 while draining or a dependency is down), /metrics. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
    switch (path) {
      case '/healthz':
        return json(200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
      case '/readyz': {
        const r = options.readiness();
        return json(r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', reasons: r.reasons });
      }
      case '/metrics':
        options.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => json(500, { error: String(err) }),
        );
        return;
      default:
        return json(404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] });
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
