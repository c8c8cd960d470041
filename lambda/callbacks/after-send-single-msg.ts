/**
 * `callbackAfterSendSingleMsgCommand`: a one-to-one chat message, after OpenIM delivered it. Go's
 * `CallbackAfterSendSingleMsgReq`: the common message fields plus `recvID`; `seq` is always 0.
 * The single-chat rules (`recvID`, `si_`/`sn_` conversation IDs) live here.
 */
import * as v from 'valibot';
import type { Callback } from '../callback.ts';
import { COMMON_MESSAGE_ENTRIES, Id } from '../message-fields.ts';
import { type MessageRecord, toMessageRecord } from '../message-record.ts';

/** The command. */
export const AFTER_SEND_SINGLE_MSG = 'callbackAfterSendSingleMsgCommand';

/** OpenIM's `sessionType` for system notifications, whose conversation IDs start with `sn_`. */
const NOTIFICATION_SESSION_TYPE = 4;

/** The body: the 18 common fields and `recvID`; unknown extra fields are kept. */
export const AfterSendSingleMsgSchema = v.looseObject({ ...COMMON_MESSAGE_ENTRIES, recvID: Id });

/** A validated body. */
export type AfterSendSingleMsg = v.InferOutput<typeof AfterSendSingleMsgSchema>;

/** The names of the 19 known fields, in Go's struct order. */
export const SINGLE_MSG_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(AfterSendSingleMsgSchema.entries),
);

/** UTF-16 surrogates: where JS string order and UTF-8 byte order part ways. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Go's `sort.Strings` order: plain byte order of the UTF-8 encoding. */
function compareUtf8(a: string, b: string): number {
  // Without surrogates each UTF-16 unit is a code point, and code point order is UTF-8 byte order,
  // so the common case needs no encoding.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * OpenIM's own conversation ID for a one-to-one chat (`GetConversationIDBySessionType`): the two
 * user IDs in byte order, `si_` for chats and `sn_` for notifications.
 */
export function singleConversationId(sessionType: number, sendID: string, recvID: string): string {
  const [first, second] = [sendID, recvID].sort(compareUtf8);
  const prefix = sessionType === NOTIFICATION_SESSION_TYPE ? 'sn_' : 'si_';
  return `${prefix}${first}_${second}`;
}

/** Stored once per `serverMsgID`; a repeat, or a save-DB callback that came first, wins. */
export const afterSendSingleMsg: Callback<AfterSendSingleMsg, MessageRecord> = {
  command: AFTER_SEND_SINGLE_MSG,
  webhooksKey: 'afterSendSingleMsg',
  summary: 'one-to-one chat messages, after delivery (seq 0)',
  openImVersions: 'all 3.x',
  schema: AfterSendSingleMsgSchema,
  toRecord: (message, context) =>
    toMessageRecord(
      message,
      {
        knownFields: SINGLE_MSG_FIELDS,
        conversationID: singleConversationId(message.sessionType, message.sendID, message.recvID),
      },
      context,
    ),
  store: (archive, record) => archive.insertMessage(record),
  identify: ({ serverMsgID }) => ({ serverMsgID }),
};
