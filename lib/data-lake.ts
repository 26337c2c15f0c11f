import { Duration, FeatureFlags, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { immutableVersionKeyPatterns } from '../core/registry/keys';
import { ZONES, type Zone } from '../core/workflow/layout';

const ACCESS_LOGS_BY_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

export interface DataLakeProps {
  /** What `cdk destroy` does with the zone buckets. @default RemovalPolicy.RETAIN (data outlives the stack) */
  readonly removalPolicy?: RemovalPolicy;
  /** Previous versions of raw, curated and artifact objects are deleted this long after being replaced. @default Duration.days(90) */
  readonly noncurrentVersionExpiration?: Duration;
  /** Captured traffic and drift reports are deleted this long after being written. @default Duration.days(180) */
  readonly monitoringExpiration?: Duration;
  /** Server access logs (and VPC flow logs) are deleted this long after being written. @default Duration.days(365) */
  readonly accessLogExpiration?: Duration;
}

/**
 * The four zone buckets and their access-log bucket.
 *
 * Encryption is S3-managed (SSE-S3), not KMS: every zone is private and TLS-only, SSE-S3 costs
 * nothing while idle (a customer-managed key is $1/month each) and adds no KMS request charge to
 * every capture write and model load; server access logs cannot be delivered to an SSE-KMS bucket anyway.
 */
export class DataLake extends Construct {
  public readonly raw: Bucket;
  public readonly curated: Bucket;
  public readonly artifacts: Bucket;
  public readonly monitoring: Bucket;
  public readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    if (!FeatureFlags.of(this).isEnabled(ACCESS_LOGS_BY_POLICY)) {
      throw new Error(
        `DataLake needs the feature flag "${ACCESS_LOGS_BY_POLICY}": true in the app context (buildApp sets it), so access logs are delivered by bucket policy and ACLs stay disabled`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrentVersionExpiration = props.noncurrentVersionExpiration ?? Duration.days(90);
    const monitoringExpiration = props.monitoringExpiration ?? Duration.days(180);
    const accessLogExpiration = props.accessLogExpiration ?? Duration.days(365);
    const common = {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    };

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ id: 'expire-logs', expiration: accessLogExpiration }],
    });

    const versionedZone = (zoneId: string, zone: Zone, eventBridgeEnabled = false) =>
      new Bucket(this, zoneId, {
        ...common,
        versioned: true,
        eventBridgeEnabled,
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: `${zone}/`,
        lifecycleRules: [
          { id: 'expire-noncurrent-versions', noncurrentVersionExpiration },
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
      });

    // Uploads to raw start retraining through EventBridge; versioning keeps overwritten uploads recoverable.
    this.raw = versionedZone('Raw', 'raw', true);
    this.acknowledgeNotificationsHandler();
    this.curated = versionedZone('Curated', 'curated');
    this.artifacts = versionedZone('Artifacts', 'artifacts');
    // Registered versions are immutable by policy, not only by convention: a write of a version's
    // model or metadata must be a create (If-None-Match: *), which S3 refuses once the key exists.
    this.artifacts.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyOverwritingRegisteredVersions',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: immutableVersionKeyPatterns().map((pattern) => this.artifacts.arnForObjects(pattern)),
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    // Monitoring holds samples that are re-derivable and short-lived: expired, not versioned.
    this.monitoring = new Bucket(this, 'Monitoring', {
      ...common,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'monitoring/',
      lifecycleRules: [
        { id: 'expire-monitoring', expiration: monitoringExpiration },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
  }

  /**
   * `eventBridgeEnabled` deploys CDK's BucketNotificationsHandler, a stack-wide singleton custom
   * resource whose role uses the AWSLambdaBasicExecutionRole managed policy.
   */
  private acknowledgeNotificationsHandler(): void {
    const handler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's BucketNotificationsHandler (turns on EventBridge notifications of the raw bucket at deploy time) only writes its own logs with this managed policy.",
    });
  }

  public bucket(zone: Zone): IBucket {
    return { raw: this.raw, curated: this.curated, artifacts: this.artifacts, monitoring: this.monitoring }[zone];
  }

  /** Bucket name per zone, for environment variables and outputs. */
  public bucketNames(): Record<Zone, string> {
    return Object.fromEntries(ZONES.map((zone) => [zone, this.bucket(zone).bucketName])) as Record<Zone, string>;
  }
}
