/**
 * Which AWS service an OpenSearch endpoint belongs to — Amazon OpenSearch Service (`es`) or
 * OpenSearch Serverless (`aoss`) — and in which region, from its host name. Requests to such an
 * endpoint are signed with SigV4 (opensearch-client.ts); any other host is not.
 */
export type AwsSigningService = 'es' | 'aoss';

export interface AwsServiceTarget {
  service: AwsSigningService;
  region: string;
}

const AWS_HOST = /^(?:.+\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.(es|aoss)\.amazonaws\.com(?:\.cn)?$/;
const AWS_HOST_NO_REGION = /(?:^|\.)(es|aoss)\.amazonaws\.com(?:\.cn)?$/;
// Dual-stack / next-generation endpoints: `search-x.aos.<region>.on.aws`, `<id>.aoss.<region>.on.aws`.
const ON_AWS_HOST = /^(?:.+\.)?(aos|aoss)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.aws$/;

/**
 * Which AWS service (and region) an OpenSearch endpoint belongs to, from its host:
 * `search-x-abc.us-east-1.es.amazonaws.com`, `vpc-x-abc.eu-west-1.es.amazonaws.com`,
 * `abc123.us-east-1.aoss.amazonaws.com`, the `.amazonaws.com.cn` partition, and the `on.aws`
 * dual-stack forms. The region comes from the host, else AWS_REGION / AWS_DEFAULT_REGION of `env`.
 * Undefined for any other host (a custom domain, localhost), or when no region can be found.
 */
export function awsServiceOf(url: string | URL, env: NodeJS.ProcessEnv): AwsServiceTarget | undefined {
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
export function regionFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}
