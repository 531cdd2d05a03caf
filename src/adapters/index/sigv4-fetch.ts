/**
 * AWS Signature Version 4 for Amazon OpenSearch Service (`es`) and OpenSearch Serverless (`aoss`),
 * as a drop-in `fetch`: the OpenSearch adapter keeps talking plain HTTP and is handed this instead.
 *
 * What the services verify (and what this signs): the method, the path exactly as sent, the query,
 * `host`, every header the caller set (`accept`, `content-type`), `x-amz-date`,
 * `x-amz-security-token` for temporary credentials, and `x-amz-content-sha256` — the hex SHA-256
 * of the body (of the empty string for GET/HEAD), which Serverless requires on every request.
 *
 * Path encoding: like every AWS service but S3, OpenSearch builds the canonical URI by
 * URI-encoding the path *as it arrived on the wire*, so a segment the adapter already encoded with
 * encodeURIComponent (`a%3Ab`) is encoded once more in the canonical request (`a%253Ab`).
 * SignatureV4's default `uriEscapePath: true` does exactly that, given the wire path — which is
 * why the path is taken from the parsed URL and never decoded here.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest, QueryParameterBag } from '@smithy/types';
import { transient } from '../../errors.ts';

export type AwsSigningService = 'es' | 'aoss';

export interface AwsServiceTarget {
  service: AwsSigningService;
  region: string;
}

export interface SigV4FetchOptions extends AwsServiceTarget {
  /** Called for every request: the provider caches and refreshes (e.g. `defaultProvider()` of @aws-sdk/credential-provider-node). */
  credentials: AwsCredentialIdentityProvider;
  /** The fetch that sends the signed request; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** The signing clock (tests pin it). */
  now?: () => Date;
}

const AWS_HOST = /^(?:.+\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(es|aoss)\.amazonaws\.com(?:\.cn)?$/;
const AWS_HOST_NO_REGION = /(?:^|\.)(es|aoss)\.amazonaws\.com(?:\.cn)?$/;
// Dual-stack / next-generation endpoints: `search-x.aos.<region>.on.aws`, `<id>.aoss.<region>.on.aws`.
const ON_AWS_HOST = /^(?:.+\.)?(aos|aoss)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.aws$/;

/**
 * Which AWS service (and region) an OpenSearch endpoint belongs to, from its host:
 * `search-x-abc.us-east-1.es.amazonaws.com`, `vpc-x-abc.eu-west-1.es.amazonaws.com`,
 * `abc123.us-east-1.aoss.amazonaws.com`, the `.amazonaws.com.cn` partition, and the `on.aws`
 * dual-stack forms. The region comes from the host, else AWS_REGION / AWS_DEFAULT_REGION.
 * Undefined for any other host (a custom domain, localhost), or when no region can be found.
 */
export function awsServiceOf(url: string | URL, env: NodeJS.ProcessEnv = process.env): AwsServiceTarget | undefined {
  let host: string;
  try {
    host = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
  const aws = AWS_HOST.exec(host);
  if (aws) return { service: aws[2] as AwsSigningService, region: aws[1]! };
  const onAws = ON_AWS_HOST.exec(host);
  if (onAws) return { service: onAws[1] === 'aoss' ? 'aoss' : 'es', region: onAws[2]! };
  const regionless = AWS_HOST_NO_REGION.exec(host);
  if (regionless) {
    const region = regionFromEnv(env);
    return region === undefined ? undefined : { service: regionless[1] as AwsSigningService, region };
  }
  return undefined;
}

/** AWS_REGION, else AWS_DEFAULT_REGION (what the SDKs read), trimmed; undefined when neither is set. */
export function regionFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** RFC 3986 encoding, as SigV4 canonicalises query names and values. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A fetch that SigV4-signs every request and sends it with `options.fetch`. The body is read
 * once to hash it and then sent as those exact bytes; the caller's AbortSignal and every other
 * init option pass through untouched. Getting credentials failing (no provider in the chain,
 * IMDS unreachable, an expired SSO session) rejects with a retryable IngestError `INDEX_AUTH`,
 * which the adapter passes through as is.
 */
export function createSigV4Fetch(options: SigV4FetchOptions): typeof fetch {
  const { service, region } = options;
  if (service !== 'es' && service !== 'aoss') throw new TypeError(`SigV4 service must be "es" or "aoss", got ${String(service)}`);
  if (typeof region !== 'string' || region.trim() === '') throw new TypeError('SigV4 signing needs a region');
  const send = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const provider = options.credentials;

  const credentials = async (): Promise<AwsCredentialIdentity> => {
    let identity: AwsCredentialIdentity;
    try {
      identity = await provider();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw transient('INDEX_AUTH', `could not get AWS credentials to sign OpenSearch requests (${service}, ${region}): ${reason}`, err, {
        service,
        region,
      });
    }
    if (typeof identity?.accessKeyId !== 'string' || identity.accessKeyId === '' || typeof identity.secretAccessKey !== 'string') {
      throw transient('INDEX_AUTH', `the AWS credential provider returned no usable credentials to sign OpenSearch requests (${service}, ${region})`, undefined, {
        service,
        region,
      });
    }
    return identity;
  };

  const signer = new SignatureV4({
    service,
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    // The canonical URI is the wire path URI-encoded once more (see the header comment).
    uriEscapePath: true,
    // Adds x-amz-content-sha256 (required by Serverless, accepted by managed domains).
    applyChecksum: true,
  });

  return async function sigV4Fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    // A Request normalises every input form: URL, method, headers (plus the content-type a
    // string/URLSearchParams/Blob body implies) and the body bytes.
    const request = new Request(input, init);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const body = request.body === null ? undefined : new Uint8Array(await abortable(request.arrayBuffer(), signal));
    const url = new URL(request.url);

    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers.host = url.host; // what fetch sends: hostname, plus the port when it is not the default
    headers['x-amz-content-sha256'] = createHash('sha256')
      .update(body ?? new Uint8Array(0))
      .digest('hex');

    const query: QueryParameterBag = {};
    const pairs: string[] = [];
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      if (existing === undefined || existing === null) query[name] = value;
      else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      pairs.push(`${uriEncode(name)}=${uriEncode(value)}`);
    }
    // Send the query in its canonical encoding, so what is signed is what the server decodes.
    if (pairs.length > 0) url.search = `?${pairs.join('&')}`;

    const toSign: HttpRequest = {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname, // as sent: already percent-encoded, never decoded here
      query,
      headers,
      body,
    };
    const signed = await abortable(signer.sign(toSign, { signingDate: now() }), signal);
    const sendHeaders: Record<string, string> = { ...signed.headers };
    delete sendHeaders.host; // fetch derives the same Host from the URL

    return send(url, {
      ...init,
      method: request.method,
      headers: sendHeaders,
      body,
      ...(signal ? { signal } : {}),
    });
  };
}
