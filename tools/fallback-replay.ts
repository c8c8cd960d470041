/**
 * Re-drives the fallback into the tables. Each record is applied by its own callback's store
 * operation, which is idempotent: a record already applied counts as done, and running a replay
 * twice, or while the receiver is storing, never doubles anything. A record that the tables refuse
 * (a bad record, not a failing table) is skipped and kept, so it never holds up the rest.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ArchiveStore } from '../lambda/archive-store.ts';
import { AFTER_REVOKE_MSG } from '../lambda/callbacks/after-revoke-msg.ts';
import { AFTER_SEND_SINGLE_MSG } from '../lambda/callbacks/after-send-single-msg.ts';
import { callbackFor } from '../lambda/callbacks.ts';
import { decodeKeptRecord, type KeptRecord } from '../lambda/message-fallback.ts';
import { errorName, ToolError } from './tool-failure.ts';

/** One record waiting in the fallback, and what to do with it once tried. */
export interface PendingRecord {
  /** Where it is, for a report: a file or a queue message. */
  readonly where: string;
  /** The record, or the reason it cannot be read as one. */
  readonly kept: KeptRecord | { readonly unreadable: string };
  /** Removes the record from the fallback: it is in the tables. */
  done(): Promise<void>;
  /** Keeps the record where a later replay or a person finds it: it could not be stored. */
  failed(): Promise<void>;
}

/** A fallback to drain: how many records it holds (roughly, for SQS) and the records. */
export interface FallbackSource {
  /** Where the records come from, for the progress line. */
  readonly name: string;
  /** Where records that cannot be stored are kept, for the report. */
  readonly failedName: string;
  /** How many records wait, if known. */
  count(): Promise<number | undefined>;
  /** The records, each once per replay. */
  records(): AsyncIterable<PendingRecord>;
}

/** A record a replay skipped, and why. */
export interface SkippedRecord {
  /** Its identity (never content): `serverMsgID`, or conversation and seq, or where it is. */
  readonly identity: string;
  readonly reason: string;
}

/** How a replay went. */
export interface ReplayReport {
  /** Records written to the table by this replay. */
  stored: number;
  /** Records that were already in the table. */
  alreadyStored: number;
  /** Records the tables refused, left in the fallback. */
  readonly skipped: SkippedRecord[];
}

/**
 * Parses one kept record, refusing anything that is not one. A bare message record is what
 * receivers before the group and save-DB callbacks kept: a one-to-one after-send message.
 */
export function parseKeptRecord(text: string, where: string): KeptRecord {
  let value: Partial<KeptRecord> & { serverMsgID?: unknown };
  try {
    value = decodeKeptRecord(text) as typeof value;
  } catch {
    // The parser's message may quote the text, which holds message content.
    throw new ToolError(`${where} is not valid JSON`);
  }
  const kept: Partial<KeptRecord> =
    typeof value?.serverMsgID === 'string'
      ? { callback: AFTER_SEND_SINGLE_MSG, record: value as KeptRecord['record'] }
      : (value ?? {});
  if (
    typeof kept.callback !== 'string' ||
    !callbackFor(kept.callback) ||
    typeof kept.record !== 'object' ||
    kept.record === null
  ) {
    throw new ToolError(`${where} does not hold a kept callback record`);
  }
  const missing = Object.entries(
    kept.callback === AFTER_REVOKE_MSG ? REVOKE_RECORD : MESSAGE_RECORD,
  ).filter(([name, type]) => typeof (kept.record as Record<string, unknown>)[name] !== type);
  if (missing.length > 0) {
    throw new ToolError(
      `${where} holds no whole ${kept.callback} record: ${missing.map(([name]) => name).join(', ')} ` +
        'missing or of the wrong type',
    );
  }
  return kept as KeptRecord;
}

/** What every message record holds, as the callbacks build it, and of which type. */
const MESSAGE_RECORD: Readonly<Record<string, string>> = {
  serverMsgID: 'string',
  sendID: 'string',
  seq: 'number',
  conversationID: 'string',
  sentAt: 'number',
  receivedAt: 'number',
  dayShard: 'string',
};

/** What every revoke record holds, and of which type. */
const REVOKE_RECORD: Readonly<Record<string, string>> = {
  conversationID: 'string',
  seq: 'number',
  revokedBy: 'string',
  revokedAt: 'number',
};

/** A pending record from text, or the reason it cannot be read. */
function pendingOf(
  text: string,
  where: string,
  actions: Pick<PendingRecord, 'done' | 'failed'>,
): PendingRecord {
  try {
    return { where, kept: parseKeptRecord(text, where), ...actions };
  } catch (error) {
    return { where, kept: { unreadable: (error as Error).message }, ...actions };
  }
}

/**
 * The local spool folder (`$DATA_DIR/fallback`), file by file, then the records earlier replays
 * could not store (`failed/`), which are tried again and stay there while they fail.
 */
export function spoolSource(directory: string): FallbackSource {
  const failedDir = join(directory, 'failed');
  const files = async (folder: string) =>
    (await readdir(folder).catch(() => [])).filter((file) => file.endsWith('.json')).sort();
  return {
    name: directory,
    failedName: failedDir,
    count: async () => (await files(directory)).length + (await files(failedDir)).length,
    async *records() {
      // Listed first, so that a record moved to failed/ by this replay is not tried twice.
      const listed = [
        { folder: directory, names: await files(directory) },
        { folder: failedDir, names: await files(failedDir) },
      ];
      for (const { folder, names } of listed) {
        for (const file of names) {
          const path = join(folder, file);
          yield pendingOf(await readFile(path, 'utf8'), path, {
            done: () => rm(path, { force: true }),
            failed: async () => {
              if (folder === failedDir) return;
              await mkdir(failedDir, { recursive: true });
              await rename(path, join(failedDir, file));
            },
          });
        }
      }
    },
  };
}

/**
 * The fallback SQS queue, received ten at a time until it holds nothing this replay has not
 * tried. A record that fails is left in the queue (not deleted): it shows again after its
 * visibility timeout, for the next replay.
 */
export function queueSource(client: SQSClient, queueUrl: string): FallbackSource {
  return {
    name: queueUrl,
    failedName: `${queueUrl} (left in the queue)`,
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
      const tried = new Set<string>();
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 60,
          }),
        );
        const fresh = Messages.filter((message) => !tried.has(message.MessageId ?? ''));
        if (fresh.length === 0) return;
        for (const message of fresh) {
          tried.add(message.MessageId ?? '');
          yield pendingOf(message.Body ?? '', `message ${message.MessageId}`, {
            done: async () => {
              await client.send(
                new DeleteMessageCommand({
                  QueueUrl: queueUrl,
                  ReceiptHandle: message.ReceiptHandle,
                }),
              );
            },
            failed: async () => undefined,
          });
        }
      }
    },
  };
}

/**
 * Errors that say the tables or the way to them fail, not the record: the replay stops at them,
 * since every record after it would fail the same way.
 */
const STOPPING_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'DeadlineExceeded',
]);

/**
 * Whether an error is the record's own (the tables refused this record, or it cannot be read),
 * so the replay can go on with the next one.
 */
function isRecordProblem(error: unknown): boolean {
  if (error instanceof ToolError) return true;
  const fault = (error as { $fault?: string } | null)?.$fault;
  return fault === 'client' && !STOPPING_ERRORS.has(errorName(error) ?? '');
}

/** A record's identity for a report: its callback's own (IDs, never content). */
function identityOf(pending: PendingRecord): string {
  const { kept } = pending;
  if ('unreadable' in kept) return pending.where;
  const identity = callbackFor(kept.callback)?.identify(kept.record as never) ?? {};
  const text = Object.entries(identity)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
  return text || pending.where;
}

/**
 * Applies every pending record, as its callback would have, and removes it from the fallback once
 * it is in the tables. A record the tables refuse is skipped and kept, and the replay goes on; a
 * failure of the tables themselves stops it, leaving that record and the rest in the fallback.
 */
export async function replay(
  source: FallbackSource,
  store: ArchiveStore,
  onProgress: (report: Readonly<ReplayReport>) => void = () => undefined,
): Promise<ReplayReport> {
  const report: ReplayReport = { stored: 0, alreadyStored: 0, skipped: [] };
  for await (const pending of source.records()) {
    const { kept } = pending;
    if ('unreadable' in kept) {
      report.skipped.push({ identity: identityOf(pending), reason: kept.unreadable });
      await pending.failed();
      onProgress(report);
      continue;
    }
    const callback = callbackFor(kept.callback);
    let outcome: string;
    try {
      if (!callback) throw new ToolError(`unknown callback ${kept.callback}`);
      ({ outcome } = await callback.store(store, kept.record));
    } catch (error) {
      if (!isRecordProblem(error)) throw error;
      const reason = `${errorName(error) ?? 'Error'}: ${(error as Error).message}`;
      report.skipped.push({ identity: identityOf(pending), reason });
      await pending.failed();
      onProgress(report);
      continue;
    }
    await pending.done();
    if (outcome === 'stored') report.stored += 1;
    else report.alreadyStored += 1;
    onProgress(report);
  }
  return report;
}
