import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, RUNTIME_ENV } from '../core/config/runtime-env';
import { ZONE_ENV, type Zone } from '../core/workflow/layout';
import { grantObjects, type ObjectAccess } from './grants';
import { type FunctionKind, LAMBDA_ENTRIES, REPO_ROOT } from './lambda-entries';
import { acknowledgeWildcardResource, XRAY_REASON } from './nag';

export interface MlopsFunctionProps {
  /** Which handler to deploy; its entry file comes from LAMBDA_ENTRIES. */
  readonly kind: FunctionKind;
  /** @default - the kind */
  readonly description?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Extra environment variables, beside the Powertools and source-map settings. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - no reserved concurrency (the account's unreserved pool) */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The one place for the platform's Lambda choices: Node 24 on arm64 (Graviton: about 20% cheaper
 * per GB-second), a log group with retention, X-Ray active tracing, source maps, and esbuild
 * bundling with the locally installed esbuild.
 *
 * `@aws-sdk/*` is bundled, not left to the runtime's copy: the deployed code runs the exact SDK
 * versions the tests ran, and the bundles in cdk.out run unchanged in a plain Node process (the
 * local platform and the bundle-smoke test), where no SDK is provided.
 *
 * The role is created here with a log-group-scoped statement instead of the AWSLambdaBasicExecutionRole
 * managed policy, so each function's permissions are exactly what its grants add.
 */
export class MlopsFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: MlopsFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.kind} function`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: LAMBDA_ENTRIES[props.kind],
      handler: 'handler',
      description: props.description ?? props.kind,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [RUNTIME_ENV.serviceName]: props.kind,
        [RUNTIME_ENV.metricsNamespace]: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
    acknowledgeWildcardResource(this.role, '*', XRAY_REASON);
  }

  /** Sets the zone's bucket variable and grants object access under the prefix, in one step. */
  public useZone(zone: Zone, bucket: IBucket, prefix: string, access: ObjectAccess, reason: string): this {
    this.function.addEnvironment(ZONE_ENV[zone], bucket.bucketName);
    grantObjects(this.role, bucket, prefix, access, reason);
    return this;
  }

  public addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  public get functionArn(): string {
    return this.function.functionArn;
  }
}
