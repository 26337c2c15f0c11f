import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AwsServiceError } from './aws-endpoint';

/**
 * The SQS queues the local platform receives messages on (the stream scorer's dead-letter queue,
 * which is also its event source mapping's on-failure destination). Each message is appended as
 * one JSON line to <folder>/<queue name>.jsonl, where a person or a test reads it; nothing
 * consumes them locally. Served operations (JSON protocol, the SDK's): SendMessage,
 * SendMessageBatch, GetQueueUrl.
 */
export interface LocalQueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: string;
}

export interface LocalQueues {
  /** The local URL of a queue, under the endpoint that serves it. */
  url(queueName: string): string;
  /** The file a queue's messages are appended to. */
  file(queueName: string): string;
  send(queueName: string, body: string): LocalQueueMessage;
  /** The AWS endpoint's handler for `AmazonSQS.<operation>`. */
  handle(operation: string, input: Record<string, unknown>): Promise<unknown>;
}

export const localQueueUrl = (endpoint: string, account: string, queueName: string): string =>
  `${endpoint}/${account}/${queueName}`;

export function createLocalQueues(options: {
  endpoint: string;
  account: string;
  folder: string;
  /** Only these queues exist. */
  queues: readonly string[];
}): LocalQueues {
  mkdirSync(options.folder, { recursive: true });
  const known = new Set(options.queues);
  const file = (queueName: string) => join(options.folder, `${queueName}.jsonl`);
  const queueOf = (url: unknown): string => {
    const name =
      String(url ?? '')
        .split('/')
        .pop() ?? '';
    if (!known.has(name))
      throw new AwsServiceError(
        'AWS.SimpleQueueService.NonExistentQueue',
        `The specified queue ${String(url)} does not exist locally`,
      );
    return name;
  };
  const send = (queueName: string, body: string): LocalQueueMessage => {
    const message = { messageId: randomUUID(), body, sentAt: new Date().toISOString() };
    appendFileSync(file(queueName), `${JSON.stringify(message)}\n`);
    return message;
  };
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  return {
    url: (queueName) => localQueueUrl(options.endpoint, options.account, queueName),
    file,
    send,
    async handle(operation, input) {
      switch (operation) {
        case 'GetQueueUrl': {
          const name = String(input.QueueName ?? '');
          if (!known.has(name))
            throw new AwsServiceError('AWS.SimpleQueueService.NonExistentQueue', `no local queue ${name}`);
          return { QueueUrl: localQueueUrl(options.endpoint, options.account, name) };
        }
        case 'SendMessage': {
          const body = String(input.MessageBody ?? '');
          const message = send(queueOf(input.QueueUrl), body);
          return { MessageId: message.messageId, MD5OfMessageBody: md5(body) };
        }
        case 'SendMessageBatch': {
          const queue = queueOf(input.QueueUrl);
          const entries = (input.Entries ?? []) as Array<{ Id: string; MessageBody: string }>;
          return {
            Successful: entries.map((entry) => ({
              Id: entry.Id,
              MessageId: send(queue, entry.MessageBody).messageId,
              MD5OfMessageBody: md5(entry.MessageBody),
            })),
            Failed: [],
          };
        }
        default:
          throw new AwsServiceError('UnsupportedOperation', `SQS ${operation} is not served locally`);
      }
    },
  };
}
