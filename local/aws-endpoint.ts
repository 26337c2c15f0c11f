import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from './loopback';

/**
 * The control-plane calls the deployed functions make, served on loopback so the functions run
 * unchanged with the real AWS SDK clients pointed here (AWS_ENDPOINT_URL_SFN / _EVENTS / _SNS):
 *   Step Functions (JSON 1.0): StartExecution, ListExecutions, DescribeExecution
 *   EventBridge    (JSON 1.1): PutEvents
 *   SNS            (Query):    Publish
 *   SQS            (JSON 1.0): what local/sqs-queues.ts serves, when the platform supplies `sqs`
 * Each operation is answered by a handler the local platform supplies. Anything else is a 400
 * naming the operation, so a function that starts calling a new API fails loudly here.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface AwsEndpointHandlers {
  readonly stepFunctions: Readonly<Record<string, (input: Record<string, unknown>) => Promise<unknown>>>;
  readonly putEvents: (entries: ReadonlyArray<Record<string, unknown>>) => Promise<void>;
  readonly publish: (message: { topicArn: string; subject?: string; message: string }) => Promise<void>;
  /** `AmazonSQS.<operation>` requests. @default none: SQS calls answer 400 */
  readonly sqs?: (operation: string, input: Record<string, unknown>) => Promise<unknown>;
}

/** An action on a resource, as IAM authorizes a call. */
export interface CallAction {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

/** Decides a call signed with `accessKeyId`: null serves it, a message refuses it as AccessDenied. */
export type CallAuthorizer = (
  accessKeyId: string,
  actions: readonly CallAction[],
) => Promise<{ readonly message: string } | null>;

export interface AwsEndpointAuthorization {
  readonly authorize: CallAuthorizer;
  /** For the event bus ARN of PutEvents. */
  readonly region: string;
  readonly account: string;
}

export interface AwsEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown, contentType: string): void {
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}

function xmlEscape(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

/**
 * The IAM actions a call needs: Step Functions `states:<Operation>` on the state machine or
 * execution it names, `events:PutEvents` on each entry's bus, `sns:Publish` on the topic.
 */
export function callActions(
  target: string,
  input: Record<string, unknown> | URLSearchParams,
  where: { region: string; account: string },
): CallAction[] {
  if (target.startsWith('AWSStepFunctions.')) {
    const body = input as Record<string, unknown>;
    const resource = String(body.stateMachineArn ?? body.executionArn ?? '*');
    return [{ action: `states:${target.slice('AWSStepFunctions.'.length)}`, resource, context: {} }];
  }
  if (target === 'AWSEvents.PutEvents') {
    const entries = ((input as Record<string, unknown>).Entries ?? []) as Array<{ EventBusName?: string }>;
    const buses = new Set(entries.map((entry) => entry.EventBusName || 'default'));
    return [...buses].map((bus) => ({
      action: 'events:PutEvents',
      resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${where.region}:${where.account}:event-bus/${bus}`,
      context: {},
    }));
  }
  const form = input as URLSearchParams;
  return [{ action: `sns:${form.get('Action')}`, resource: form.get('TopicArn') ?? '*', context: {} }];
}

async function authorizeCall(
  request: IncomingMessage,
  target: string,
  input: Record<string, unknown> | URLSearchParams,
  authorization: AwsEndpointAuthorization | undefined,
): Promise<void> {
  if (!authorization) return;
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(String(request.headers.authorization ?? ''))?.[1] ?? '';
  const denial = await authorization.authorize(accessKeyId, callActions(target, input, authorization));
  if (!denial) return;
  if (input instanceof URLSearchParams) throw new AwsServiceError('AuthorizationError', denial.message, 403);
  throw new AwsServiceError('AccessDeniedException', denial.message, 400);
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  handlers: AwsEndpointHandlers,
  authorization?: AwsEndpointAuthorization,
): Promise<void> {
  const body = await readBody(request);
  const target = String(request.headers['x-amz-target'] ?? '');
  const contentType = String(request.headers['content-type'] ?? '');
  if (target.startsWith('AWSStepFunctions.')) {
    const operation = target.slice('AWSStepFunctions.'.length);
    const input = body ? JSON.parse(body) : {};
    await authorizeCall(request, target, input, authorization);
    const handler = handlers.stepFunctions[operation];
    const type = 'application/x-amz-json-1.0';
    if (!handler)
      throw new AwsServiceError('UnknownOperationException', `Step Functions ${operation} is not served locally`);
    json(response, 200, await handler(input), type);
    return;
  }
  if (target.startsWith('AmazonSQS.') && handlers.sqs) {
    json(
      response,
      200,
      await handlers.sqs(target.slice('AmazonSQS.'.length), JSON.parse(body || '{}')),
      'application/x-amz-json-1.0',
    );
    return;
  }
  if (target === 'AWSEvents.PutEvents') {
    const input = JSON.parse(body || '{}') as { Entries?: Record<string, unknown>[] };
    await authorizeCall(request, target, input, authorization);
    const { Entries = [] } = input;
    await handlers.putEvents(Entries);
    json(
      response,
      200,
      { FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) },
      'application/x-amz-json-1.1',
    );
    return;
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(body);
    if (form.get('Action') !== 'Publish') {
      throw new AwsServiceError('InvalidAction', `SNS ${form.get('Action')} is not served locally`);
    }
    await authorizeCall(request, 'SNS', form, authorization);
    await handlers.publish({
      topicArn: form.get('TopicArn') ?? '',
      subject: form.get('Subject') ?? undefined,
      message: form.get('Message') ?? '',
    });
    const id = randomUUID();
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${xmlEscape(id)}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
    return;
  }
  throw new AwsServiceError('UnknownOperationException', `no local service for target "${target}"`);
}

export async function startAwsEndpoint(options: {
  port: number;
  host?: string;
  handlers: AwsEndpointHandlers;
  /** @default - every call is served */
  authorization?: AwsEndpointAuthorization;
}): Promise<AwsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    handle(request, response, options.handlers, options.authorization).catch((error: unknown) => {
      const known = error instanceof AwsServiceError;
      const type = known ? error.type : 'InternalFailure';
      const status = known ? error.status : 500;
      if (String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        response.writeHead(status, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${xmlEscape(type)}</Code><Message>${xmlEscape((error as Error).message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
        return;
      }
      json(response, status, { __type: type, message: (error as Error).message }, 'application/x-amz-json-1.0');
    });
  });
  return listen(server, options.port, host);
}
