/**
 * The official OpenSearch client (`@opensearch-project/opensearch`), set up the one way this project
 * uses it: one node, no retries and no sniffing or resurrection pings of its own (the adapter's
 * callers and the dependency gate decide about retrying), basic auth from the URL's userinfo, and
 * — for Amazon OpenSearch Service or Serverless — SigV4 through the client's `AwsSigv4Signer`.
 * Requests go out through undici (undici-connection.ts) unless `connection: 'http'` is asked for.
 */
import { Client, Connection } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { transient } from '../../core/errors.ts';
import type { AwsServiceTarget } from './aws-endpoint.ts';
import { undiciConnection } from './undici-connection.ts';

export interface OpenSearchSigning extends AwsServiceTarget {
  /** Asked before a request whenever the last credentials are missing or about to expire. */
  credentials: AwsCredentialIdentityProvider;
}

export interface OpenSearchClientOptions {
  /** Endpoint, optionally with basic-auth userinfo: `https://user:pass@host:9200`. */
  url: string;
  /** SigV4 signing; absent for basic auth or an open endpoint. */
  signing?: OpenSearchSigning | undefined;
  /** Timeout of every request, also the socket timeouts of its connection. */
  requestTimeoutMs: number;
  /** `undici` (default) or the client's own node:http connection (`http`, for the benchmark). */
  connection?: 'undici' | 'http' | undefined;
}

export interface OpenSearchEndpoint {
  /** The node URL: no userinfo, query or fragment, no trailing slash. */
  baseUrl: string;
  /** Basic-auth credentials from the userinfo, if any. */
  auth: { username: string; password: string } | undefined;
  /** The endpoint for logs and messages: the password replaced by `***`. */
  redacted: string;
}

/** Splits `https://user:pass@host/prefix` into a credential-free node URL and basic-auth credentials. */
export function parseEndpoint(url: string): OpenSearchEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('OpenSearch url is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`OpenSearch url must be http(s), got ${parsed.protocol}`);
  }
  const auth =
    parsed.username !== '' || parsed.password !== ''
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;
  const redactedUser = parsed.username === '' ? '' : `${parsed.username}:***@`;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const baseUrl = parsed.toString().replace(/\/+$/, '');
  return { baseUrl, auth, redacted: baseUrl.replace(/^(https?:\/\/)/, `$1${redactedUser}`) };
}

/**
 * The credentials provider as the signer calls it: a failure (no provider in the chain, IMDS
 * unreachable, an expired SSO session) becomes a retryable `INDEX_AUTH`, before anything is sent.
 */
function signingCredentials({ service, region, credentials }: OpenSearchSigning): () => Promise<AwsCredentialIdentity> {
  return async () => {
    let identity: AwsCredentialIdentity;
    try {
      identity = await credentials();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw transient('INDEX_AUTH', `could not get AWS credentials to sign OpenSearch requests (${service}, ${region}): ${reason}`, err, { service, region });
    }
    if (typeof identity?.accessKeyId !== 'string' || identity.accessKeyId === '' || typeof identity.secretAccessKey !== 'string') {
      throw transient('INDEX_AUTH', `the AWS credential provider returned no usable credentials to sign OpenSearch requests (${service}, ${region})`, undefined, {
        service,
        region,
      });
    }
    return identity;
  };
}

export function createOpenSearchClient(options: OpenSearchClientOptions): { client: Client; endpoint: OpenSearchEndpoint } {
  const endpoint = parseEndpoint(options.url);
  const timeout = options.requestTimeoutMs;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new RangeError('requestTimeoutMs must be > 0');
  const signer = options.signing
    ? AwsSigv4Signer({ service: options.signing.service, region: options.signing.region, getCredentials: signingCredentials(options.signing) })
    : undefined;
  const base = signer?.Connection ?? Connection;
  const client = new Client({
    node: endpoint.baseUrl,
    ...(endpoint.auth ? { auth: endpoint.auth } : {}),
    ...(signer ? { Transport: signer.Transport } : {}),
    Connection:
      options.connection === 'http'
        ? base
        : undiciConnection(base, { connectTimeoutMs: Math.min(timeout, 10_000), headersTimeoutMs: timeout, bodyTimeoutMs: timeout }),
    maxRetries: 0,
    requestTimeout: timeout,
    sniffOnStart: false,
    sniffOnConnectionFault: false,
    resurrectStrategy: 'none',
  });
  return { client, endpoint };
}
