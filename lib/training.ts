import { Duration, Validations } from 'aws-cdk-lib';
import {
  FargateComputeEnvironment,
  type IComputeEnvironment,
  JobQueue,
  ManagedEc2EcsComputeEnvironment,
} from 'aws-cdk-lib/aws-batch';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  InstanceClass,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface TrainingProps {
  /** Bucket that receives the VPC flow logs (the data lake's access-log bucket). */
  readonly flowLogBucket: IBucket;
  /** Most vCPUs each compute environment runs at once (the cost ceiling of concurrent training). @default 16 */
  readonly maxvCpus?: number;
  /** Availability zones the public subnets span. @default 2 */
  readonly maxAzs?: number;
}

/** Which capacity a training job needs. */
export interface TrainingCapacity {
  readonly gpu: number;
  readonly spot: boolean;
}

/**
 * Shared training compute: a VPC with public subnets only and NO NAT gateway (jobs get a public
 * IP and an egress-only security group, so nothing is billed per hour while idle), VPC flow logs,
 * and AWS Batch compute environments with their job queues. Environments are created on first
 * use: Fargate (default), Fargate Spot, and EC2 GPU (on-demand or Spot) when a model asks for GPUs.
 * Every environment scales to zero.
 */
export class Training extends Construct {
  public readonly vpc: Vpc;
  public readonly securityGroup: SecurityGroup;
  private readonly maxvCpus: number;
  private readonly queues = new Map<string, JobQueue>();

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    this.maxvCpus = props.maxvCpus ?? 16;
    if (this.maxvCpus < 1) throw new Error(`maxvCpus must be at least 1, received ${this.maxvCpus}`);
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // Nothing uses the default security group; restricting it would deploy a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        FlowLogs: {
          destination: FlowLogDestination.toS3(props.flowLogBucket, 'vpc-flow-logs/'),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    this.securityGroup = new SecurityGroup(this, 'JobSecurityGroup', {
      vpc: this.vpc,
      description: 'Training jobs: no inbound, outbound HTTPS to S3, ECR and CloudWatch over the internet gateway',
      allowAllOutbound: true,
    });
  }

  /** The job queue for a capacity, creating its compute environment on first use. */
  public queueFor(capacity: TrainingCapacity): JobQueue {
    const kind = capacity.gpu > 0 ? (capacity.spot ? 'GpuSpot' : 'Gpu') : capacity.spot ? 'FargateSpot' : 'Fargate';
    const existing = this.queues.get(kind);
    if (existing) return existing;
    const environment = this.createEnvironment(kind);
    const queue = new JobQueue(this, `${kind}Queue`, {
      computeEnvironments: [{ computeEnvironment: environment, order: 1 }],
    });
    this.queues.set(kind, queue);
    return queue;
  }

  /** Queues created so far (one per capacity kind in use). */
  public get jobQueues(): readonly JobQueue[] {
    return [...this.queues.values()];
  }

  private createEnvironment(kind: string): IComputeEnvironment {
    const network = {
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [this.securityGroup],
      maxvCpus: this.maxvCpus,
    };
    if (kind === 'Fargate' || kind === 'FargateSpot') {
      return new FargateComputeEnvironment(this, `${kind}Environment`, { ...network, spot: kind === 'FargateSpot' });
    }
    const environment = new ManagedEc2EcsComputeEnvironment(this, `${kind}Environment`, {
      ...network,
      spot: kind === 'GpuSpot',
      minvCpus: 0,
      useOptimalInstanceClasses: false,
      instanceClasses: [InstanceClass.G4DN, InstanceClass.G5],
      updateTimeout: Duration.minutes(30),
    });
    Validations.of(environment).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'The ECS container-instance role of the GPU compute environment: AWS maintains the exact ECS agent permissions in this managed policy.',
    });
    return environment;
  }
}
