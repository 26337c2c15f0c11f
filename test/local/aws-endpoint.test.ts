/**
 * The local AWS endpoint authorizes each call as IAM would (the action and resource the call
 * names), and refuses with each protocol's own error, so the real SDK clients see what AWS sends.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type AwsEndpoint, type CallAction, callActions, startAwsEndpoint } from '../../local/aws-endpoint';

const WHERE = { region: 'us-east-1', account: '123456789012' };
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:churn';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

describe('callActions', () => {
  it('maps Step Functions calls to states:<Operation> on the state machine or execution they name', () => {
    expect(callActions('AWSStepFunctions.StartExecution', { stateMachineArn: MACHINE }, WHERE)).toEqual([
      { action: 'states:StartExecution', resource: MACHINE, context: {} },
    ]);
    expect(callActions('AWSStepFunctions.DescribeExecution', { executionArn: `${MACHINE}:r1` }, WHERE)).toEqual([
      { action: 'states:DescribeExecution', resource: `${MACHINE}:r1`, context: {} },
    ]);
  });

  it("maps PutEvents to events:PutEvents on each entry's bus, the default bus when none is named", () => {
    const actions = callActions('AWSEvents.PutEvents', { Entries: [{}, { EventBusName: 'other' }, {}] }, WHERE);
    expect(actions.map((a) => a.resource)).toEqual([
      'arn:aws:events:us-east-1:123456789012:event-bus/default',
      'arn:aws:events:us-east-1:123456789012:event-bus/other',
    ]);
  });

  it('maps SNS Publish to sns:Publish on the topic', () => {
    const form = new URLSearchParams({ Action: 'Publish', TopicArn: TOPIC, Message: 'm' });
    expect(callActions('SNS', form, WHERE)).toEqual([{ action: 'sns:Publish', resource: TOPIC, context: {} }]);
  });
});

describe('the local AWS endpoint with authorization', () => {
  let endpoint: AwsEndpoint;
  const asked: Array<{ accessKeyId: string; actions: readonly CallAction[] }> = [];
  const served: string[] = [];
  beforeAll(async () => {
    endpoint = await startAwsEndpoint({
      port: 0,
      handlers: {
        stepFunctions: {
          StartExecution: async () => {
            served.push('StartExecution');
            return { executionArn: `${MACHINE}:x`, startDate: 0 };
          },
        },
        putEvents: async () => {
          served.push('PutEvents');
        },
        publish: async () => {
          served.push('Publish');
        },
      },
      authorization: {
        ...WHERE,
        authorize: async (accessKeyId, actions) => {
          asked.push({ accessKeyId, actions });
          return accessKeyId === 'local-role-Denied' ? { message: `denied ${actions[0]?.action}` } : null;
        },
      },
    });
  });
  afterAll(async () => {
    await endpoint.close();
  });

  const client = <T>(Client: new (config: object) => T, accessKeyId: string): T =>
    new Client({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: accessKeyId },
    });

  it('serves an allowed call and passes the signing access key to the authorizer', async () => {
    await client(SFNClient, 'local-role-Allowed').send(new StartExecutionCommand({ stateMachineArn: MACHINE }));
    expect(served).toContain('StartExecution');
    expect(asked.at(-1)).toEqual({
      accessKeyId: 'local-role-Allowed',
      actions: [{ action: 'states:StartExecution', resource: MACHINE, context: {} }],
    });
  });

  it('refuses a denied call with AccessDeniedException (Step Functions, EventBridge) or AuthorizationError (SNS; the SDK names it AuthorizationErrorException)', async () => {
    served.length = 0;
    await expect(
      client(SFNClient, 'local-role-Denied').send(new StartExecutionCommand({ stateMachineArn: MACHINE })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'denied states:StartExecution' });
    await expect(
      client(EventBridgeClient, 'local-role-Denied').send(
        new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      client(SNSClient, 'local-role-Denied').send(new PublishCommand({ TopicArn: TOPIC, Message: 'm' })),
    ).rejects.toMatchObject({ name: 'AuthorizationErrorException', $metadata: { httpStatusCode: 403 } });
    expect(served).toEqual([]);
  });
});
