/**
 * Where a callback's record goes when the tables will not take it. OpenIM never retries an
 * after-callback, so a record that could not be written is kept here, whole, with the command
 * that made it, until `npm run replay` applies it: an SQS queue in AWS (`sqs-fallback.ts`), a
 * folder of files locally.
 */
import { hash } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveRecord } from './archive-store.ts';

/** A record the tables did not take, and the callback whose write it is. */
export interface KeptRecord {
  /** The callback's command, which says what the record does to the tables. */
  readonly callback: string;
  /** The record. */
  readonly record: ArchiveRecord;
}

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
        await file.writeFile(JSON.stringify(kept));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    },
  };
}
