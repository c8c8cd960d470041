/**
 * The fallback onto an SQS queue, in AWS: one message per kept record, as JSON. `handler.ts`
 * imports this module on the first record kept (see `fallbackOnFirstUse`), so a function whose
 * table never fails never runs the SQS client's code (V8 only skims it) or builds a client.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  encodeKeptRecord,
  type MessageFallback,
  SQS_MAX_MESSAGE_BYTES,
} from './message-fallback.ts';

// For handler.ts, which reaches the client only through this module: importing the package itself
// dynamically would bundle every SQS command, since any of them could be asked for.
export { SQSClient };

/** The message attribute that names a record's command. */
const CALLBACK_ATTRIBUTE = 'callback';

/**
 * A {@link MessageFallback} that sends each kept record to `queueUrl`, tagged with its command,
 * encoded so that SQS takes any content and the body and attribute fit its size limit.
 */
export function createSqsFallback({
  client,
  queueUrl,
}: {
  readonly client: SQSClient;
  readonly queueUrl: string;
}): MessageFallback {
  return {
    async keep(kept) {
      const attributeBytes =
        Buffer.byteLength(CALLBACK_ATTRIBUTE) + 'String'.length + Buffer.byteLength(kept.callback);
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: encodeKeptRecord(kept, SQS_MAX_MESSAGE_BYTES - attributeBytes),
          MessageAttributes: {
            [CALLBACK_ATTRIBUTE]: { DataType: 'String', StringValue: kept.callback },
          },
        }),
      );
    },
  };
}
