/**
 * Where a callback's record goes when the tables will not take it. OpenIM never retries an
 * after-callback, so a record that could not be written is kept here, whole, with the command
 * that made it, until `npm run replay` applies it: an SQS queue in AWS (`sqs-fallback.ts`), a
 * folder of files locally.
 */
import { hash } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveRecord } from './archive-store.ts';

/**
 * The SQS fallback's module, beside `handler.ts`. The deployed function carries it as a bundle of
 * its own, `sqs-fallback.mjs` beside the function's `index.mjs`, and imports it on the first
 * record kept (see `handler.ts` and `infra/receiver-function.ts`).
 */
export const SQS_FALLBACK_FILE = 'sqs-fallback.ts';

/** A record the tables did not take, and the callback whose write it is. */
export interface KeptRecord {
  /** The callback's command, which says what the record does to the tables. */
  readonly callback: string;
  /** The record. */
  readonly record: ArchiveRecord;
}

/**
 * Characters SQS refuses in a message body (it takes tab, line feed, carriage return and
 * U+0020 to U+D7FF, U+E000 to U+FFFD and U+10000 up) that `JSON.stringify` leaves as they are.
 * Control characters and lone surrogates it already writes as `\u` escapes.
 */
const REFUSED_BY_SQS = /[\uFFFE\uFFFF]/g;

/** The envelope of a kept record too large as plain JSON: its JSON, gzipped, in base64. */
interface CompressedRecord {
  readonly encoding: 'gzip-base64';
  readonly data: string;
}

/** Thrown when a record does not fit the fallback even compressed. */
export class FallbackTooLarge extends Error {
  override readonly name = 'FallbackTooLarge';
}

/**
 * A kept record as text any fallback takes whole: JSON whose every character SQS accepts, so any
 * content OpenIM can send survives the queue and comes back byte for byte. With `maxBytes`, a
 * record whose JSON is larger (escapes can make it several times its stored size) is gzipped and
 * sent in base64 instead, and one that does not fit even so is refused with
 * {@link FallbackTooLarge}, never cut.
 */
export function encodeKeptRecord(kept: KeptRecord, maxBytes = Number.POSITIVE_INFINITY): string {
  const json = JSON.stringify(kept).replace(
    REFUSED_BY_SQS,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
  if (Buffer.byteLength(json) <= maxBytes) return json;
  const compressed: CompressedRecord = {
    encoding: 'gzip-base64',
    data: gzipSync(json).toString('base64'),
  };
  const text = JSON.stringify(compressed);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new FallbackTooLarge(
      `the record takes ${bytes} bytes compressed; the fallback holds at most ${maxBytes}`,
    );
  }
  return text;
}

/** The kept record (or bare value) that {@link encodeKeptRecord} made. */
export function decodeKeptRecord(text: string): unknown {
  const value = JSON.parse(text) as Partial<CompressedRecord> | null;
  if (value?.encoding === 'gzip-base64' && typeof value.data === 'string') {
    return JSON.parse(gunzipSync(Buffer.from(value.data, 'base64')).toString('utf8'));
  }
  return value;
}

/** The largest message SQS takes (1 MiB): the body and its attributes' names, types and values. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** A durable place for records the tables did not take. */
export interface MessageFallback {
  /** Keeps the record durably; resolves only once it is safe. */
  keep(kept: KeptRecord): Promise<void>;
}

/**
 * A fallback made on the first record kept, so that its code (for SQS: the client, bundled but
 * imported dynamically) is neither run nor fully compiled at cold start. A failed attempt to make
 * it is tried again with the next record.
 */
export function fallbackOnFirstUse(make: () => Promise<MessageFallback>): MessageFallback {
  let made: Promise<MessageFallback> | undefined;
  return {
    async keep(kept) {
      made ??= make().catch((error: unknown) => {
        made = undefined;
        throw error;
      });
      await (await made).keep(kept);
    },
  };
}

/**
 * The spool file for a kept record: one per callback and identity (the record without its arrival
 * time), so a repeat overwrites, never doubles.
 */
export function spoolFileName({ callback, record }: KeptRecord): string {
  const {
    receivedAt: _receivedAt,
    revokedAt: _revokedAt,
    expiresAt: _expiresAt,
    ...identity
  } = record;
  return `${hash('sha256', JSON.stringify([callback, identity]))}.json`;
}

/** A fallback onto a local folder: each record written to a temporary file, synced, then renamed. */
export function createSpoolFallback({
  directory,
}: {
  readonly directory: string;
}): MessageFallback {
  return {
    async keep(kept) {
      await mkdir(directory, { recursive: true });
      const target = join(directory, spoolFileName(kept));
      const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(encodeKeptRecord(kept));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    },
  };
}
