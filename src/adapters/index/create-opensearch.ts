/**
 * The one place an OpenSearchIndex is built from configuration: decides between SigV4 (Amazon
 * OpenSearch Service / Serverless), basic auth from the URL's userinfo, and no auth at all.
 *
 * - Host `*.<region>.es.amazonaws.com` ⇒ SigV4 for `es`; `*.<region>.aoss.amazonaws.com` ⇒ `aoss`
 *   (also `.amazonaws.com.cn` and the `on.aws` dual-stack hosts); the region comes from the host.
 * - `INGEST_OPENSEARCH_SIGV4=es|aoss` forces signing for another host (a custom domain endpoint,
 *   a proxy, a test server), the region then from AWS_REGION; `off` never signs.
 * - A URL with userinfo (`https://user:pass@…`) uses basic auth and is not signed, even on an AWS
 *   host: that is a domain with fine-grained access control's internal user database, and the two
 *   Authorization headers cannot coexist. Forcing SigV4 on such a URL is a configuration error.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ConfigError } from '../../core/errors.ts';
import { awsServiceOf, regionFromEnv, type AwsServiceTarget } from './aws-endpoint.ts';
import { OpenSearchIndex } from './opensearch.ts';

export const SIGV4_ENV = 'INGEST_OPENSEARCH_SIGV4';

export interface CreateOpenSearchOptions {
  /** Where INGEST_OPENSEARCH_SIGV4 and AWS_REGION are read from (default: the configuration's environment). */
  env?: NodeJS.ProcessEnv;
  /**
   * Credentials for signing; default: the AWS SDK's node provider chain (`defaultProvider()` of
   * @aws-sdk/credential-provider-node: env, SSO, profile, web identity, ECS, IMDS), memoized and
   * refreshed before expiry.
   */
  credentials?: AwsCredentialIdentityProvider;
  requestTimeoutMs?: number;
}

export interface OpenSearchConnectionConfig {
  openSearchUrl: string | undefined;
  openSearchIndex: string;
  /** The configuration's environment (INGEST_OPENSEARCH_SIGV4, AWS_REGION). */
  env?: Readonly<NodeJS.ProcessEnv>;
}

function invalid(message: string): ConfigError {
  return new ConfigError(`invalid configuration:\n  ${message}`);
}

/**
 * How requests to this endpoint are signed: a SigV4 target, or undefined for none (basic auth
 * from the userinfo, or an open endpoint). ConfigError for a bad INGEST_OPENSEARCH_SIGV4.
 */
export function openSearchSigning(openSearchUrl: string, env: Readonly<NodeJS.ProcessEnv>): AwsServiceTarget | undefined {
  const raw = env[SIGV4_ENV]?.trim().toLowerCase() ?? '';
  if (raw !== '' && raw !== 'es' && raw !== 'aoss' && raw !== 'off') {
    throw invalid(`${SIGV4_ENV}: must be "es", "aoss" or "off", got "${env[SIGV4_ENV]}"`);
  }
  if (raw === 'off') return undefined;
  let url: URL;
  try {
    url = new URL(openSearchUrl);
  } catch {
    throw invalid('INGEST_OPENSEARCH_URL: must be an http(s) URL');
  }
  const hasUserinfo = url.username !== '' || url.password !== '';
  if (raw === 'es' || raw === 'aoss') {
    if (hasUserinfo) {
      throw invalid(`${SIGV4_ENV}: "${raw}" cannot be combined with basic-auth credentials in INGEST_OPENSEARCH_URL`);
    }
    const fromHost = awsServiceOf(url, {});
    const region = fromHost?.region ?? regionFromEnv(env);
    if (region === undefined) {
      throw invalid(`${SIGV4_ENV}: "${raw}" needs a region: set AWS_REGION (the host ${url.hostname} names none)`);
    }
    return { service: raw, region };
  }
  // Basic auth wins over SigV4 (see the header comment).
  if (hasUserinfo) return undefined;
  return awsServiceOf(url, env);
}

/** The default credential chain, loaded on first use (the module is large and often unneeded). */
function defaultCredentials(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (identityProperties) => {
    chain ??= import('@aws-sdk/credential-provider-node').then((m) => m.defaultProvider());
    return (await chain)(identityProperties);
  };
}

/** An OpenSearchIndex for the configured endpoint, signing its requests when it is on AWS. */
export function createOpenSearchIndex(config: OpenSearchConnectionConfig, options: CreateOpenSearchOptions = {}): OpenSearchIndex {
  if (config.openSearchUrl === undefined) throw invalid('INGEST_OPENSEARCH_URL: required');
  const signing = openSearchSigning(config.openSearchUrl, options.env ?? config.env ?? {});
  return new OpenSearchIndex({
    url: config.openSearchUrl,
    index: config.openSearchIndex,
    ...(signing ? { signing: { ...signing, credentials: options.credentials ?? defaultCredentials() } } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
}
