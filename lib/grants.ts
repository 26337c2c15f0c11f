import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcardResource } from './nag';

export type ObjectAccess = 'read' | 'write' | 'read-write' | 'read-write-delete';

/**
 * Grants exactly the S3 object actions a role needs under one key prefix: GetObject (and a
 * ListBucket limited to the prefix, so a missing key reads as 404 instead of 403), PutObject, DeleteObject.
 * The wildcard under the prefix is acknowledged on the role with the caller's reason.
 */
export function grantObjects(role: IRole, bucket: IBucket, prefix: string, access: ObjectAccess, reason: string): void {
  const objects = bucket.arnForObjects(`${prefix}*`);
  const actions = [
    ...(access === 'write' ? [] : ['s3:GetObject']),
    ...(access === 'read' ? [] : ['s3:PutObject']),
    ...(access === 'read-write-delete' ? ['s3:DeleteObject'] : []),
  ];
  role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objects] }));
  if (access !== 'write') {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
  }
  acknowledgeWildcardResource(role, objects, reason);
}
