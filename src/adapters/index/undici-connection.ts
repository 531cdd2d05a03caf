/**
 * A `Connection` for the official OpenSearch client that sends requests with undici (an Agent from
 * createHttpAgent: explicit connect/headers/body timeouts, keep-alive) instead of node:http.
 *
 * It extends whichever Connection it is given — the client's own, or the one AwsSigv4Signer
 * returns — and keeps that class's `buildRequestObject`, so a signed request is signed exactly as
 * the library signs it. The response handed to the client's Transport is undici's body stream
 * (a Readable) carrying `statusCode` and `headers`, which is all the Transport reads.
 *
 * Chosen over the client's node:http Connection by `npm run bench:opensearch`
 * (bench/results/opensearch-bulk.md), and because the latter logs to stdout with console.log when a
 * socket errors after a response, which would break the daemon's JSON log stream.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Connection, errors } from '@opensearch-project/opensearch';
import type { Agent, Dispatcher } from 'undici';
import { createHttpAgent, type HttpAgentOptions } from '../../lib/http-agent.ts';

type ConnectionClass = typeof Connection;
type ConnectionOptions = ConstructorParameters<ConnectionClass>[0];
type RequestCallback = (err: Error | null, response: IncomingMessage | null) => void;

interface BuiltRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: string | Buffer | null;
  timeout?: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** A Connection class over `Base` that sends through its own undici Agent (one per node). */
export function undiciConnection(Base: ConnectionClass, agentOptions: HttpAgentOptions): ConnectionClass {
  class UndiciConnection extends Base {
    readonly #agent: Agent;

    constructor(opts?: ConnectionOptions) {
      // agent: false — no node:http Agent is made for a connection that never uses it.
      super({ ...opts, agent: false } as unknown as ConnectionOptions);
      this.#agent = createHttpAgent(agentOptions);
    }

    override request(params: unknown, callback: RequestCallback): ClientRequest {
      const built = this.buildRequestObject(params) as unknown as BuiltRequest;
      const controller = new AbortController();
      let settled = false;
      const settle = (err: Error | null, response: IncomingMessage | null): void => {
        if (settled) return;
        settled = true;
        this._openRequests--;
        callback(err, response);
      };
      this._openRequests++;
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(built.headers)) if (value !== undefined) headers[name] = value;
      const options: Dispatcher.RequestOptions = {
        origin: this.url.origin,
        path: built.path,
        method: built.method as Dispatcher.HttpMethod,
        headers,
        body: built.body ?? null,
        signal: controller.signal,
        ...(built.timeout !== undefined && built.timeout > 0 ? { headersTimeout: built.timeout, bodyTimeout: built.timeout } : {}),
      };
      this.#agent.request(options).then(
        ({ statusCode, headers: answered, body }) => {
          if (settled) {
            body.destroy();
            return;
          }
          settle(null, Object.assign(body, { statusCode, headers: answered }) as unknown as IncomingMessage);
        },
        (err: unknown) => {
          if (controller.signal.aborted) return settle(new errors.RequestAbortedError('Request aborted'), null);
          const code = (err as { code?: unknown }).code;
          const message = err instanceof Error ? err.message : String(err);
          if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return settle(new errors.TimeoutError(`Request timed out (${message})`, undefined as never), null);
          settle(new errors.ConnectionError(message), null);
        },
      );
      return { abort: () => controller.abort() } as unknown as ClientRequest;
    }

    override close(callback: () => void = () => {}): Connection {
      this.#agent.close().then(callback, callback);
      return this;
    }
  }
  return UndiciConnection;
}
