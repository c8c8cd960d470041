/**
 * Where a message goes when the table will not take it. OpenIM never retries an after-callback, so
 * a record that could not be written is kept here, whole, until `npm run replay` writes it to the
 * table: an SQS queue in AWS (`sqs-fallback.ts`), a folder of files locally.
 */
import { hash } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageRecord } from './message-record.ts';

/** A durable place for records the table did not take. */
export interface MessageFallback {
  /** Keeps the record durably; resolves only once it is safe. */
  keep(record: MessageRecord): Promise<void>;
}

/**
 * A fallback made on the first record kept, so that its code (for SQS: the client, bundled but
 * imported dynamically) is neither run nor fully compiled at cold start. A failed attempt to make
 * it is tried again with the next record.
 */
export function fallbackOnFirstUse(make: () => Promise<MessageFallback>): MessageFallback {
  let made: Promise<MessageFallback> | undefined;
  return {
    async keep(record) {
      made ??= make().catch((error: unknown) => {
        made = undefined;
        throw error;
      });
      await (await made).keep(record);
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
