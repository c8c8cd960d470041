/**
 * Re-drives the fallback into the tables. Each record is applied by its own callback's store
 * operation, which is idempotent: a record already applied counts as done, and running a replay
 * twice, or while the receiver is storing, never doubles anything.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ArchiveStore } from '../lambda/archive-store.ts';
import { AFTER_SEND_SINGLE_MSG } from '../lambda/callbacks/after-send-single-msg.ts';
import { callbackFor } from '../lambda/callbacks.ts';
import type { KeptRecord } from '../lambda/message-fallback.ts';

/** One record waiting in the fallback, and how to remove it once it is in the table. */
export interface PendingRecord {
  readonly kept: KeptRecord;
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

/**
 * Parses one kept record, refusing anything that is not one. A bare message record is what
 * receivers before the group and save-DB callbacks kept: a one-to-one after-send message.
 */
export function parseKeptRecord(text: string, where: string): KeptRecord {
  const value = JSON.parse(text) as Partial<KeptRecord> & { serverMsgID?: unknown };
  const kept: Partial<KeptRecord> =
    typeof value?.serverMsgID === 'string'
      ? { callback: AFTER_SEND_SINGLE_MSG, record: value as KeptRecord['record'] }
      : value;
  if (
    typeof kept.callback !== 'string' ||
    !callbackFor(kept.callback) ||
    typeof kept.record !== 'object' ||
    kept.record === null
  ) {
    throw new Error(`${where} does not hold a kept callback record`);
  }
  return kept as KeptRecord;
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
        const kept = parseKeptRecord(await readFile(path, 'utf8'), path);
        yield { kept, done: () => rm(path, { force: true }) };
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
          const kept = parseKeptRecord(message.Body ?? '', `message ${message.MessageId}`);
          yield {
            kept,
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
 * Applies every pending record, as its callback would have, and removes it from the fallback once
 * it is in the tables. Stops at the first failed write, leaving that record and the rest in the
 * fallback.
 */
export async function replay(
  source: FallbackSource,
  store: ArchiveStore,
  onProgress: (report: Readonly<ReplayReport>) => void = () => undefined,
): Promise<ReplayReport> {
  const report: ReplayReport = { stored: 0, alreadyStored: 0 };
  for await (const pending of source.records()) {
    const callback = callbackFor(pending.kept.callback);
    if (!callback) throw new Error(`unknown callback ${pending.kept.callback}`);
    const outcome = await callback.store(store, pending.kept.record);
    await pending.done();
    if (outcome === 'stored') report.stored += 1;
    else report.alreadyStored += 1;
    onProgress(report);
  }
  return report;
}
