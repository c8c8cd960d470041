/**
 * `callbackAfterMsgSaveDBCommand` (OpenIM `main`): every message msg-transfer wrote to its
 * database, one-to-one and group alike, with the real per-conversation `seq`. Go's
 * `CallbackAfterMsgSaveDBReq`: the common message fields plus `recvID` and `groupID`, both always
 * present, the one that does not apply `""`. It comes through another service and queue than the
 * after-send callbacks, so it may arrive before them, after them, or alone.
 */
import * as v from 'valibot';
import type { Callback } from '../callback.ts';
import { COMMON_MESSAGE_ENTRIES, IdOrEmpty } from '../message-fields.ts';
import { type MessageRecord, toMessageRecord } from '../message-record.ts';
import { groupConversationId } from './after-send-group-msg.ts';
import { singleConversationId } from './after-send-single-msg.ts';

/** The command. */
export const AFTER_MSG_SAVE_DB = 'callbackAfterMsgSaveDBCommand';

/** The body; a message is in a group when `groupID` is set, one-to-one when `recvID` is. */
export const AfterMsgSaveDBSchema = v.pipe(
  v.looseObject({ ...COMMON_MESSAGE_ENTRIES, recvID: IdOrEmpty, groupID: IdOrEmpty }),
  v.forward(
    v.check(
      ({ recvID, groupID }) => recvID !== '' || groupID !== '',
      'must not be empty when groupID is empty',
    ),
    ['recvID'],
  ),
);

/** A validated body. */
export type AfterMsgSaveDB = v.InferOutput<typeof AfterMsgSaveDBSchema>;

/** The names of the 20 known fields, in Go's struct order: every after-send field, too. */
export const SAVE_DB_FIELDS: ReadonlySet<string> = new Set([
  ...Object.keys(COMMON_MESSAGE_ENTRIES),
  'recvID',
  'groupID',
]);

/** The body without the ID Go sends as `""` because it does not apply. */
function withoutEmptyIds(message: AfterMsgSaveDB): AfterMsgSaveDB {
  const { recvID, groupID, ...rest } = message;
  return {
    ...rest,
    ...(recvID === '' ? {} : { recvID }),
    ...(groupID === '' ? {} : { groupID }),
  } as AfterMsgSaveDB;
}

/**
 * Stores the whole message, or completes the after-send record with the real `seq` and the
 * save-DB values; a late after-send changes nothing. Links the seq for revokes.
 */
export const afterMsgSaveDB: Callback<AfterMsgSaveDB, MessageRecord> = {
  command: AFTER_MSG_SAVE_DB,
  webhooksKey: 'afterMsgSaveDB',
  summary: 'every message saved to OpenIM’s database, with the real seq',
  openImVersions: 'main (no release tag yet)',
  schema: AfterMsgSaveDBSchema,
  toRecord: (message, context) =>
    toMessageRecord(
      withoutEmptyIds(message),
      {
        knownFields: SAVE_DB_FIELDS,
        conversationID:
          message.groupID !== ''
            ? groupConversationId(message.sessionType, message.groupID)
            : singleConversationId(message.sessionType, message.sendID, message.recvID),
      },
      context,
    ),
  store: (archive, record) => archive.saveMessage(record, SAVE_DB_FIELDS),
  identify: ({ serverMsgID, conversationID, seq }) => ({ serverMsgID, conversationID, seq }),
};
