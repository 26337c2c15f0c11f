import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges the cdk-nag IAM5 finding for one wildcard resource (an ARN with `*`, e.g. an S3
 * prefix), on the construct that owns the policy. The finding id is computed from the resource
 * the way cdk-nag prints it, so acknowledgements stay exact when logical ids change.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

export const XRAY_REASON =
  'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions: AWS requires Resource "*".';
