/**
 * An SQS queue for tests, on aws-sdk-client-mock (SQS has no engine offline): it refuses what SQS
 * refuses (a body with characters outside SQS's set, a message over the size limit) and hands
 * messages out until they are deleted, so a fallback and a replay meet the rules they meet in AWS.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SQS_MAX_MESSAGE_BYTES } from '../../lambda/message-fallback.ts';

/** Every character SQS takes in a message body (its documented set). */
const SQS_CHARACTERS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** A queued message. */
interface Queued {
  readonly id: string;
  readonly body: string;
  readonly callback: string | undefined;
  /** Whether a receive has it out (until it is deleted or made visible again). */
  inFlight: boolean;
}

/** An error as the SQS client throws it for a refused request. */
function sqsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client' });
}

/** A queue with SQS's rules, and the client that reaches it. */
export function sqsQueue() {
  const client = new SQSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  });
  const mock = mockClient(client);
  const messages: Queued[] = [];
  let next = 0;
  mock.on(SendMessageCommand).callsFake((input) => {
    const body = String(input.MessageBody ?? '');
    if (!SQS_CHARACTERS.test(body)) {
      throw sqsError('InvalidMessageContents', 'Invalid characters found in the message body');
    }
    const attributes = Object.entries(input.MessageAttributes ?? {}).reduce(
      (sum, [name, value]) =>
        sum +
        Buffer.byteLength(name) +
        Buffer.byteLength(String((value as { DataType?: string }).DataType ?? '')) +
        Buffer.byteLength(String((value as { StringValue?: string }).StringValue ?? '')),
      0,
    );
    if (Buffer.byteLength(body) + attributes > SQS_MAX_MESSAGE_BYTES) {
      throw sqsError('InvalidParameterValue', 'Message must be shorter than 1048576 bytes');
    }
    next += 1;
    const id = `m${next}`;
    const callback = input.MessageAttributes?.callback?.StringValue;
    messages.push({ id, body, callback, inFlight: false });
    return { MessageId: id };
  });
  mock.on(ReceiveMessageCommand).callsFake((input) => {
    const visible = messages.filter((m) => !m.inFlight).slice(0, input.MaxNumberOfMessages ?? 1);
    for (const m of visible) m.inFlight = true;
    return {
      Messages: visible.map((m) => ({ MessageId: m.id, ReceiptHandle: `r-${m.id}`, Body: m.body })),
    };
  });
  mock.on(DeleteMessageCommand).callsFake((input) => {
    const at = messages.findIndex((m) => `r-${m.id}` === input.ReceiptHandle);
    if (at >= 0) messages.splice(at, 1);
    return {};
  });
  mock.on(GetQueueAttributesCommand).callsFake(() => ({
    Attributes: { ApproximateNumberOfMessages: String(messages.filter((m) => !m.inFlight).length) },
  }));
  return {
    client,
    mock,
    /** What the queue holds, in order. */
    messages,
    /** Makes every message received but not deleted visible again (its timeout ran out). */
    expireVisibility: () => {
      for (const m of messages) m.inFlight = false;
    },
  };
}
