/**
 * A small OpenSearch domain for trials (context `trialDomain=true`): one t3.small.search node, 10 GiB,
 * encrypted, HTTPS only, reachable only with the instance role's SigV4 signature. Production uses an
 * existing domain, given as parameters.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { EbsDeviceVolumeType } from 'aws-cdk-lib/aws-ec2';
import { ArnPrincipal, Effect, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Domain, EngineVersion } from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';

export class TrialDomain extends Construct {
  readonly domain: Domain;

  constructor(scope: Construct, id: string, props: { role: IRole }) {
    super(scope, id);
    this.domain = new Domain(this, 'Domain', {
      version: EngineVersion.OPENSEARCH_2_19,
      capacity: { dataNodes: 1, dataNodeInstanceType: 't3.small.search', multiAzWithStandbyEnabled: false },
      ebs: { volumeSize: 10, volumeType: EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.domain.addAccessPolicies(new PolicyStatement({
      effect: Effect.ALLOW,
      principals: [new ArnPrincipal(props.role.roleArn)],
      actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
      resources: [`${this.domain.domainArn}/*`],
    }));
  }
}
