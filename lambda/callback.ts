/**
 * What one OpenIM callback module declares: its command, its `webhooks.yml` switch, its valibot
 * schema and what it does to the archive. `callbacks.ts` lists the modules; everything else (the
 * routes, command resolution, the banner, the metrics and the docs) is driven by that list.
 */
import type * as v from 'valibot';
import type { ArchiveRecord, ArchiveStore, StoreResult } from './archive-store.ts';
import type { RecordContext } from './message-record.ts';

/** One OpenIM callback this receiver stores. */
export interface Callback<Body = unknown, Written extends ArchiveRecord = ArchiveRecord> {
  /** OpenIM's command: the request path's last segment and the body's `callbackCommand`. */
  readonly command: string;
  /** Its switch in OpenIM's `config/webhooks.yml`, and the `callback` metric dimension. */
  readonly webhooksKey: string;
  /** What it carries, in a few words, for the banner and the docs. */
  readonly summary: string;
  /** The OpenIM versions that send it. */
  readonly openImVersions: string;
  /** The body as real OpenIM servers send it. */
  readonly schema: v.GenericSchema<unknown, Body>;
  /** The record a valid body becomes. Pure. */
  toRecord(body: Body, context: RecordContext): Written;
  /** What the record does to the archive: the table writes, idempotent whatever the order. */
  store(archive: ArchiveStore, record: Written): Promise<StoreResult>;
  /** The record's identity, for logs and the fallback: never message content. */
  identify(record: Written): Readonly<Record<string, string | number>>;
}
