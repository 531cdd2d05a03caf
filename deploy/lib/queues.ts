/**
 * The upload queue and its dead-letter queue. SQS redrive moves a message after `maxReceiveCount`
 * receives; the daemon itself dead-letters earlier, with the reason, and rolls messages over before
 * that (README "What happens to a message"), so redrive is the last resort.
 */
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueuesProps {
  maxReceiveCount: number;
  /** The daemon's INGEST_VISIBILITY_TIMEOUT (it renews the lease while a job runs). */
  visibilityTimeout: Duration;
}

export class Queues extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Uploads', {
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(14),
      receiveMessageWaitTime: Duration.seconds(20),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
