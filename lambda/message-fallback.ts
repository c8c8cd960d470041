/**
 * Where a message goes when the table will not take it. OpenIM never retries an after-callback, so
 * a record that could not be written is kept here, whole, until `npm run replay` writes it to the
 * table: an SQS queue in AWS, a folder of files locally.
 */
import { hash } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageRecord } from './message-record.ts';

/** A durable place for records the table did not take. */
export interface MessageFallback {
  /** Keeps the record durably; resolves only once it is safe. */
  keep(record: MessageRecord): Promise<void>;
}

/**
 * A fallback onto an SQS queue: one message per record, the record as JSON. The client is made on
 * the first record kept, so that a function whose table never fails never builds it at cold start.
 */
export function createSqsFallback({
  newClient,
  queueUrl,
}: {
  readonly newClient: () => SQSClient;
  readonly queueUrl: string;
}): MessageFallback {
  let client: SQSClient | undefined;
  return {
    async keep(record) {
      client ??= newClient();
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(record),
          MessageAttributes: {
            serverMsgID: { DataType: 'String', StringValue: record.serverMsgID },
          },
        }),
      );
    },
  };
}

/** The spool file for a message: one per `serverMsgID`, so a repeat overwrites, never doubles. */
export function spoolFileName(serverMsgID: string): string {
  return `${hash('sha256', serverMsgID)}.json`;
}

/** A fallback onto a local folder: each record written to a temporary file, synced, then renamed. */
export function createSpoolFallback({
  directory,
}: {
  readonly directory: string;
}): MessageFallback {
  return {
    async keep(record) {
      await mkdir(directory, { recursive: true });
      const target = join(directory, spoolFileName(record.serverMsgID));
      const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(JSON.stringify(record));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    },
  };
}
