/**
 * Re-drives the fallback into the table. Each record is written with the receiver's own
 * conditional put, so a replay is idempotent: a record already in the table counts as done, and
 * running a replay twice, or while the receiver is storing, never doubles anything.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageRecord } from '../lambda/message-record.ts';
import type { MessageStore } from '../lambda/message-store.ts';

/** One record waiting in the fallback, and how to remove it once it is in the table. */
export interface PendingRecord {
  readonly record: MessageRecord;
  /** Removes the record from the fallback. */
  done(): Promise<void>;
}

/** A fallback to drain: how many records it holds (roughly, for SQS) and the records. */
export interface FallbackSource {
  /** Where the records come from, for the progress line. */
  readonly name: string;
  /** How many records wait, if known. */
  count(): Promise<number | undefined>;
  /** The records, each until it is done. */
  records(): AsyncIterable<PendingRecord>;
}

/** How a replay went. */
export interface ReplayReport {
  /** Records written to the table by this replay. */
  stored: number;
  /** Records that were already in the table. */
  alreadyStored: number;
}

/** Parses one kept record, refusing anything that is not one. */
function parseRecord(text: string, where: string): MessageRecord {
  const record = JSON.parse(text) as MessageRecord;
  if (typeof record?.serverMsgID !== 'string' || record.serverMsgID === '') {
    throw new Error(`${where} does not hold a message record`);
  }
  return record;
}

/** The local spool folder (`$DATA_DIR/fallback`), file by file. */
export function spoolSource(directory: string): FallbackSource {
  const files = async () =>
    (await readdir(directory).catch(() => [])).filter((file) => file.endsWith('.json')).sort();
  return {
    name: directory,
    count: async () => (await files()).length,
    async *records() {
      for (const file of await files()) {
        const path = join(directory, file);
        const record = parseRecord(await readFile(path, 'utf8'), path);
        yield { record, done: () => rm(path, { force: true }) };
      }
    },
  };
}

/** The fallback SQS queue, received ten at a time until it is empty. */
export function queueSource(client: SQSClient, queueUrl: string): FallbackSource {
  return {
    name: queueUrl,
    async count() {
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      const count = Number(Attributes?.ApproximateNumberOfMessages);
      return Number.isFinite(count) ? count : undefined;
    },
    async *records() {
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 60,
          }),
        );
        if (Messages.length === 0) return;
        for (const message of Messages) {
          const record = parseRecord(message.Body ?? '', `message ${message.MessageId}`);
          yield {
            record,
            done: async () => {
              await client.send(
                new DeleteMessageCommand({
                  QueueUrl: queueUrl,
                  ReceiptHandle: message.ReceiptHandle,
                }),
              );
            },
          };
        }
      }
    },
  };
}

/**
 * Writes every pending record to the table and removes it from the fallback once it is there.
 * Stops at the first failed write, leaving that record and the rest in the fallback.
 */
export async function replay(
  source: FallbackSource,
  store: MessageStore,
  onProgress: (report: Readonly<ReplayReport>) => void = () => undefined,
): Promise<ReplayReport> {
  const report: ReplayReport = { stored: 0, alreadyStored: 0 };
  for await (const pending of source.records()) {
    const outcome = await store.put(pending.record);
    await pending.done();
    if (outcome === 'stored') report.stored += 1;
    else report.alreadyStored += 1;
    onProgress(report);
  }
  return report;
}
