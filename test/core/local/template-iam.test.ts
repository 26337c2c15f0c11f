import { localRoleAccessKeyId, readTemplateIam, withoutAction } from '../../../core/local/template-iam';

const ACCOUNT = '123456789012';
const bucketArn = { 'Fn::GetAtt': ['Bucket', 'Arn'] };
const template = {
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket' },
    BucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'Bucket' },
        PolicyDocument: {
          Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: bucketArn }],
        },
      },
    },
    FnRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Policies: [
          {
            PolicyName: 'inline',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] },
          },
        ],
      },
    },
    FnRolePolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'FnRole' }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:PutObject'],
              Resource: { 'Fn::Join': ['', [bucketArn, '/churn/*']] },
            },
          ],
        },
      },
    },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } } },
    JobRole: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/X'] } },
    JobDef: {
      Type: 'AWS::Batch::JobDefinition',
      Properties: { ContainerProperties: { JobRoleArn: { 'Fn::GetAtt': ['JobRole', 'Arn'] } } },
    },
  },
};

/** A stand-in for the platform's resolver: the bucket is `local-bucket`. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return 'local-bucket';
  if ('Fn::GetAtt' in node) return 'arn:aws:s3:::local-bucket';
  if ('Fn::Join' in node) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolve(part))).join(delimiter);
  }
  return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, resolve(child)]));
}

describe('readTemplateIam', () => {
  const iam = readTemplateIam(template, resolve, ACCOUNT);

  it("gathers a role's inline policies and the AWS::IAM::Policy resources attached to it, resolved", () => {
    const role = iam.roles.get('FnRole');
    expect(role?.arn).toBe('arn:aws:iam::123456789012:role/FnRole');
    expect(role?.policies.map((policy) => policy.name)).toEqual(['inline', 'FnRolePolicy']);
    expect(role?.policies[1]?.document.Statement[0]?.Resource).toBe('arn:aws:s3:::local-bucket/churn/*');
  });

  it('maps functions and job definitions to their roles, and bucket policies to resolved bucket names', () => {
    expect(iam.functionRoles.get('Fn')).toBe('FnRole');
    expect(iam.jobRoles.get('JobDef')).toBe('JobRole');
    expect(iam.roles.get('JobRole')?.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/X']);
    expect([...iam.bucketPolicies.keys()]).toEqual(['local-bucket']);
  });

  it('names the local access key of a role', () => {
    expect(localRoleAccessKeyId('FnRole')).toBe('local-role-FnRole');
  });
});

describe('withoutAction', () => {
  it('removes one action from the statements of one role, leaving the rest of each statement', () => {
    const iam = withoutAction(readTemplateIam(template, resolve, ACCOUNT), 'FnRole', 's3:GetObject');
    const statements = iam.roles.get('FnRole')?.policies.flatMap((policy) => policy.document.Statement);
    expect(statements?.map((statement) => statement.Action)).toEqual(['sns:Publish', ['s3:PutObject']]);
  });

  it('names the roles there are when asked for one the template lacks', () => {
    expect(() => withoutAction(readTemplateIam(template, resolve, ACCOUNT), 'Nope', 's3:GetObject')).toThrow(
      /no role Nope; roles: FnRole, JobRole/,
    );
  });
});
