/**
 * The project's one way to make an HTTP dispatcher: an undici `Agent` with every timeout explicit
 * (connect, headers, body) and keep-alive, so that no call of ours can wait on a socket forever and
 * repeated calls reuse their connections. Callers still bound the whole request with an AbortSignal;
 * these timeouts catch the stalls a total deadline would only notice late.
 */
import { Agent } from 'undici';

export interface HttpAgentOptions {
  /** TCP (and TLS) connect timeout. */
  connectTimeoutMs: number;
  /** From the request being sent to the response's headers. */
  headersTimeoutMs: number;
  /** The longest silence between two chunks of the response body. */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive socket is kept (default 4 s, under common servers' 5 s). */
  keepAliveTimeoutMs?: number;
  /** Sockets per origin (default unlimited, as undici's). */
  connections?: number;
}

export function createHttpAgent(options: HttpAgentOptions): Agent {
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  }
  const keepAlive = options.keepAliveTimeoutMs ?? 4_000;
  return new Agent({
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    keepAliveTimeout: keepAlive,
    keepAliveMaxTimeout: Math.max(keepAlive, 60_000),
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
  });
}
