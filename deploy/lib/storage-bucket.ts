/**
 * The bucket for thumbnails (`thumbnails/`), page checkpoints (`checkpoints/`) and large kept
 * extractions (`content/`): private, encrypted, TLS only. Checkpoints only matter while a job may be
 * resumed, so they expire after a few days; content objects outlive the records that name them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export const THUMBNAIL_PREFIX = 'thumbnails/';
export const CHECKPOINT_PREFIX = 'checkpoints/';
/** A checkpoint older than this belongs to a job that finished or was given up long ago. */
export const CHECKPOINT_DAYS = 7;
/** Kept extractions too large for a state-table item (the daemon's INGEST_CONTENT_PREFIX). */
export const CONTENT_PREFIX = 'content/';
/** Longer than the state table keeps the records that name these objects (90 days, src/adapters/content/dynamodb.ts). */
export const CONTENT_DAYS = 100;

export class StorageBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-checkpoints', prefix: CHECKPOINT_PREFIX, expiration: Duration.days(CHECKPOINT_DAYS) },
        { id: 'expire-content', prefix: CONTENT_PREFIX, expiration: Duration.days(CONTENT_DAYS) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}
