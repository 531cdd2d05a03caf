/**
 * An IMDS stand-in that behaves like amazon-ec2-metadata-mock (docs/design.md §9), on 127.0.0.1:
 * IMDSv2 only (PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds 1..21600; a GET
 * without a valid X-aws-ec2-metadata-token is 401), spot/instance-action 404 until interrupt(),
 * then {"action":"terminate","time":"<ISO>"}; events/recommendations/rebalance 404 until
 * rebalance(); autoscaling/target-lifecycle-state answering the state set by the test;
 * instance-id (default i-0123456789abcdef0, settable); tags/instance/<key> for the tags set by the
 * test (404 for any other key, and for all of them while none is set — what EC2 answers when
 * instance tags in metadata are off).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImdsRequest {
  method: string;
  path: string;
  status: number;
}

export interface ImdsSimulator {
  /** Base URL for AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  url: string;
  /** Post a spot interruption notice; time = now + inSeconds (default 120), or `at`. */
  interrupt(options?: { inSeconds?: number; at?: Date; action?: 'terminate' | 'stop' | 'hibernate' }): Date;
  clearInterruption(): void;
  /** Post a rebalance recommendation (noticeTime = now). */
  rebalance(): Date;
  /** The target lifecycle state (default InService); null ⇒ 404 (not in an Auto Scaling group). */
  setLifecycle(state: string | null): void;
  /** What /latest/meta-data/instance-id answers (default i-0123456789abcdef0). */
  setInstanceId(id: string): void;
  /** An instance tag in metadata (tags/instance/<key>); null removes it. */
  setTag(key: string, value: string | null): void;
  /** Answer the next n requests (any path; or those `match` picks) with this status (and body). */
  failNext(n: number, status: number, match?: (path: string, method: string) => boolean, body?: string): void;
  /** Hold every answer this long (0 = off): for timeouts. */
  delay(ms: number): void;
  /** Invalidate every token issued so far (the next GET with one is 401). */
  expireTokens(): void;
  requests(): ImdsRequest[];
  /** Requests so far, optionally for one path (and method). */
  count(path?: string, method?: string): number;
  tokensIssued(): number;
  /** TCP connections accepted so far, and those still open (keep-alive, socket reuse). */
  connections(): { accepted: number; open: number };
  close(): Promise<void>;
}

const TOKEN_PATH = '/latest/api/token';
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startImdsSimulator(): Promise<ImdsSimulator> {
  const tokens = new Map<string, number>(); // token → expiry (epoch ms)
  const log: ImdsRequest[] = [];
  let instanceAction: { action: string; time: Date } | undefined;
  let rebalanceAt: Date | undefined;
  let lifecycle: string | null = 'InService';
  let failures: { left: number; status: number; match: ((path: string, method: string) => boolean) | undefined; body: string } | undefined;
  let delayMs = 0;
  let issued = 0;
  let instanceId = 'i-0123456789abcdef0';
  const tags = new Map<string, string>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://imds').pathname;
    const send = (status: number, body = '', headers: Record<string, string> = {}) => {
      log.push({ method, path, status });
      const contentType = body.startsWith('{') ? 'application/json' : 'text/plain';
      res.writeHead(status, { 'content-type': contentType, ...headers });
      res.end(body);
    };
    if (failures && failures.left > 0 && (failures.match === undefined || failures.match(path, method))) {
      failures.left -= 1;
      return send(failures.status, failures.body);
    }
    if (path === TOKEN_PATH) {
      if (method !== 'PUT') return send(405);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return send(400, 'missing or invalid X-aws-ec2-metadata-token-ttl-seconds');
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + ttl * 1000);
      issued += 1;
      return send(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    }
    if (method !== 'GET') return send(405);
    const token = req.headers['x-aws-ec2-metadata-token'];
    const expiry = typeof token === 'string' ? tokens.get(token) : undefined;
    if (expiry === undefined || expiry <= Date.now()) return send(401);
    switch (path) {
      case '/latest/meta-data/spot/instance-action':
        return instanceAction ? send(200, JSON.stringify({ action: instanceAction.action, time: isoSeconds(instanceAction.time) })) : send(404);
      case '/latest/meta-data/events/recommendations/rebalance':
        return rebalanceAt ? send(200, JSON.stringify({ noticeTime: isoSeconds(rebalanceAt) })) : send(404);
      case '/latest/meta-data/autoscaling/target-lifecycle-state':
        return lifecycle === null ? send(404) : send(200, lifecycle);
      case '/latest/meta-data/instance-id':
        return send(200, instanceId);
      case '/latest/meta-data/tags/instance':
      case '/latest/meta-data/tags/instance/':
        return tags.size === 0 ? send(404) : send(200, [...tags.keys()].join('\n'));
      default: {
        const prefix = '/latest/meta-data/tags/instance/';
        const value = path.startsWith(prefix) ? tags.get(decodeURIComponent(path.slice(prefix.length))) : undefined;
        return value === undefined ? send(404) : send(200, value);
      }
    }
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (delayMs > 0) setTimeout(() => handle(req, res), delayMs).unref();
      else handle(req, res);
    });
  });
  const sockets = { accepted: 0, open: 0 };
  server.on('connection', (socket) => {
    sockets.accepted += 1;
    sockets.open += 1;
    socket.on('close', () => (sockets.open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    interrupt({ inSeconds = 120, at, action = 'terminate' } = {}) {
      // IMDS gives whole seconds
      const time = new Date(Math.floor((at?.getTime() ?? Date.now() + inSeconds * 1000) / 1000) * 1000);
      instanceAction = { action, time };
      return time;
    },
    clearInterruption() {
      instanceAction = undefined;
    },
    rebalance() {
      rebalanceAt = new Date(Math.floor(Date.now() / 1000) * 1000);
      return rebalanceAt;
    },
    setLifecycle(state) {
      lifecycle = state;
    },
    setInstanceId(id) {
      instanceId = id;
    },
    setTag(key, value) {
      if (value === null) tags.delete(key);
      else tags.set(key, value);
    },
    failNext(n, status, match, body = 'simulated failure') {
      failures = { left: n, status, match, body };
    },
    delay(ms) {
      delayMs = ms;
    },
    expireTokens() {
      tokens.clear();
    },
    requests: () => [...log],
    count: (path, method) => log.filter((r) => (path === undefined || r.path === path) && (method === undefined || r.method === method)).length,
    tokensIssued: () => issued,
    connections: () => ({ ...sockets }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
