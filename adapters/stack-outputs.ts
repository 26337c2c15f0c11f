import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** A deployed stack's outputs (credentials and region from the SDK's usual chain). */
export async function readStackOutputs(
  stackName: string,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<Array<{ OutputKey?: string; OutputValue?: string }>> {
  const response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  return response.Stacks?.[0]?.Outputs ?? [];
}
