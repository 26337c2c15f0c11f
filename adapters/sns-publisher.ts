import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * Publishes plain-text alerts to one SNS topic (email subscribers see the subject line).
 * AWS_ENDPOINT_URL_SNS, the SDK's own variable, points the client at the local platform's endpoint.
 */
export interface Alert {
  readonly subject: string;
  readonly message: string;
}

/** SNS refuses subjects over 100 characters or with control or non-ASCII characters. */
export const SNS_SUBJECT_MAX = 100;
/** SNS's message limit is 256 KiB; stay under it with room for the envelope. */
export const SNS_MESSAGE_MAX_BYTES = 250 * 1024;

/** A subject SNS accepts: printable ASCII only, one line, at most 100 characters, never empty. */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  const short = clean.length > SNS_SUBJECT_MAX ? `${clean.slice(0, SNS_SUBJECT_MAX - 3)}...` : clean;
  return short || 'mlops alert';
}

/** The message cut to SNS's size limit (in UTF-8 bytes), saying that it was cut. */
export function snsMessage(message: string): string {
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= SNS_MESSAGE_MAX_BYTES) return message;
  const cut = new TextDecoder().decode(bytes.slice(0, SNS_MESSAGE_MAX_BYTES)).replace(/\uFFFD$/, '');
  return `${cut}\n[message truncated to ${SNS_MESSAGE_MAX_BYTES} bytes]\n`;
}

export class SnsPublisher {
  constructor(
    private readonly client: SNSClient,
    readonly topicArn: string,
  ) {}

  /** Returns the SNS message id. */
  async publish(alert: Alert): Promise<string | undefined> {
    const response = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(alert.subject),
        Message: snsMessage(alert.message),
      }),
    );
    return response.MessageId;
  }
}
