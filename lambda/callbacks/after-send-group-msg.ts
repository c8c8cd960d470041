/**
 * `callbackAfterSendGroupMsgCommand`: a group chat message, after OpenIM delivered it. Go's
 * `CallbackAfterSendGroupMsgReq`: the common message fields plus `groupID` (no `recvID`); `seq` is
 * always 0. The group rules (`groupID`, `sg_`/`g_` conversation IDs) live here.
 */
import * as v from 'valibot';
import type { Callback } from '../callback.ts';
import { COMMON_MESSAGE_ENTRIES, Id } from '../message-fields.ts';
import { type MessageRecord, toMessageRecord } from '../message-record.ts';

/** The command. */
export const AFTER_SEND_GROUP_MSG = 'callbackAfterSendGroupMsgCommand';

/** OpenIM's legacy "write group" `sessionType`; every 3.x group is 3, a "read group". */
const WRITE_GROUP_SESSION_TYPE = 2;

/** The body: the 18 common fields and `groupID`; unknown extra fields are kept. */
export const AfterSendGroupMsgSchema = v.looseObject({ ...COMMON_MESSAGE_ENTRIES, groupID: Id });

/** A validated body. */
export type AfterSendGroupMsg = v.InferOutput<typeof AfterSendGroupMsgSchema>;

/** The names of the 19 known fields, in Go's struct order. */
export const GROUP_MSG_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(AfterSendGroupMsgSchema.entries),
);

/**
 * OpenIM's own conversation ID for a group (`GetConversationIDBySessionType`): `g_<groupID>` for
 * the legacy `sessionType` 2, `sg_<groupID>` otherwise (3, every group in OpenIM 3.x).
 */
export function groupConversationId(sessionType: number, groupID: string): string {
  return `${sessionType === WRITE_GROUP_SESSION_TYPE ? 'g_' : 'sg_'}${groupID}`;
}

/** The conversation IDs a group's messages can be under, newest form first. */
export function groupConversationIds(groupID: string): string[] {
  return [groupConversationId(3, groupID), groupConversationId(WRITE_GROUP_SESSION_TYPE, groupID)];
}

/** Stored exactly like a one-to-one message, under the group's conversation. */
export const afterSendGroupMsg: Callback<AfterSendGroupMsg, MessageRecord> = {
  command: AFTER_SEND_GROUP_MSG,
  webhooksKey: 'afterSendGroupMsg',
  summary: 'group chat messages, after delivery (seq 0)',
  openImVersions: 'all 3.x',
  schema: AfterSendGroupMsgSchema,
  toRecord: (message, context) =>
    toMessageRecord(
      message,
      {
        knownFields: GROUP_MSG_FIELDS,
        conversationID: groupConversationId(message.sessionType, message.groupID),
      },
      context,
    ),
  store: (archive, record) => archive.insertMessage(record),
  identify: ({ serverMsgID }) => ({ serverMsgID }),
};
