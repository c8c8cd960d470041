/**
 * What a reconcile makes of each message OpenIM's `pull_msg_by_seq` returns: a chat message to
 * archive (maybe revoked, maybe with its content only in OpenIM's search), a notification that
 * took the seq, or a deleted slot; and the record a chat message becomes, exactly as its save-DB
 * callback would have made it. Pure functions.
 */
import { AFTER_MSG_SAVE_DB, afterMsgSaveDB } from '../callbacks/after-msg-save-db.ts';
import { validateBody } from '../message-fields.ts';
import { MAX_RECORD_BYTES, type MessageRecord, recordSizeBytes } from '../message-record.ts';
import type { ChatLog, PulledMessage } from '../openim-api.ts';

/** OpenIM's content types for notifications: `NotificationBegin` to `NotificationEnd`. */
const NOTIFICATION_TYPES = { first: 1000, last: 5000 } as const;

/** `MsgRevokeNotification`: what a revoked message shows in place of its own content. */
const REVOKED_CONTENT_TYPE = 2101;

/** `MsgStatusHasDeleted`: a deleted slot, or a message its puller deleted for themselves. */
const DELETED_STATUS = 4;

/** A revoke as OpenIM shows it in place of the message: who, and when (ms). */
export interface OpenImRevoke {
  readonly revokedBy: string;
  readonly revokedAt: number;
}

/** One seq as OpenIM returned it. */
export type PulledSeq =
  | { readonly kind: 'deleted'; readonly seq: number }
  | { readonly kind: 'notification'; readonly seq: number; readonly contentType: number }
  | {
      readonly kind: 'message';
      readonly seq: number;
      readonly message: PulledMessage;
      /** The content as the callback carries it, or undefined when only the search has it. */
      readonly content: string | undefined;
      readonly revoke?: OpenImRevoke;
    };

/** `content` as the callbacks carry it: the bytes OpenIM stored, as UTF-8 text. */
export function decodeContent(base64: string | null): string | undefined {
  return base64 === null ? undefined : Buffer.from(base64, 'base64').toString('utf8');
}

/** The revoke a message shows in place of its content, if it was revoked. */
function revokeShown(
  message: PulledMessage,
  content: string | undefined,
): OpenImRevoke | undefined {
  if (message.contentType !== REVOKED_CONTENT_TYPE || content === undefined) return undefined;
  try {
    const { detail } = JSON.parse(content) as { detail?: unknown };
    const revoked = JSON.parse(String(detail)) as Record<string, unknown>;
    // A revoke notice of its own (in an n_ conversation) names another message's seq.
    if (
      typeof revoked.revokerID !== 'string' ||
      typeof revoked.revokeTime !== 'number' ||
      revoked.seq !== message.seq ||
      revoked.clientMsgID !== message.clientMsgID
    ) {
      return undefined;
    }
    return { revokedBy: revoked.revokerID, revokedAt: revoked.revokeTime };
  } catch {
    return undefined;
  }
}

/** What OpenIM holds at a seq, from what the pull returned. */
export function classify(message: PulledMessage): PulledSeq {
  const { seq } = message;
  if (message.serverMsgID === '') return { kind: 'deleted', seq };
  const content = decodeContent(message.content);
  const revoke = revokeShown(message, content);
  if (revoke) return { kind: 'message', seq, message, content: undefined, revoke };
  const { contentType } = message;
  if (contentType >= NOTIFICATION_TYPES.first && contentType <= NOTIFICATION_TYPES.last) {
    return { kind: 'notification', seq, contentType };
  }
  // Deleted by the user the pull was made for: the message is there, its content is not.
  const hidden = message.status === DELETED_STATUS && content === undefined;
  return { kind: 'message', seq, message, content: hidden ? undefined : (content ?? '') };
}

/** Whether a search result is the original of a pulled message. */
export function isOriginalOf(log: ChatLog, message: PulledMessage): boolean {
  return log.serverMsgID === message.serverMsgID;
}

/** Why a pulled message cannot become a record. */
export interface RecordProblem {
  readonly problem: string;
}

/**
 * The record a chat message becomes, as its save-DB callback would have made it: the body Go's
 * `CallbackAfterMsgSaveDBReq` would carry (content as text, `faceURL` from `senderFaceURL`,
 * `atUserList` from `atUserIDList`, the real seq), checked by the callback's own schema and made
 * a record by its own `toRecord`, under OpenIM's conversation ID. It has no `operationID`: no
 * callback brought it. `original` gives the content (and the status) the search kept, for a
 * revoked message or one its puller deleted.
 */
export function recordOf(
  message: PulledMessage,
  content: string,
  conversationID: string,
  context: { readonly receivedAt: number; readonly ttlDays?: number | undefined },
  original?: ChatLog,
): { readonly record: MessageRecord } | RecordProblem {
  const body = {
    sendID: message.sendID,
    callbackCommand: AFTER_MSG_SAVE_DB,
    serverMsgID: message.serverMsgID,
    clientMsgID: message.clientMsgID,
    operationID: '',
    senderPlatformID: message.senderPlatformID,
    senderNickname: message.senderNickname,
    sessionType: message.sessionType,
    msgFrom: message.msgFrom,
    contentType: original?.contentType ?? message.contentType,
    status: original?.status ?? message.status,
    sendTime: message.sendTime,
    createTime: message.createTime,
    content,
    seq: message.seq,
    atUserList: message.atUserIDList?.length ? [...message.atUserIDList] : null,
    faceURL: message.senderFaceURL,
    ex: message.ex,
    recvID: message.recvID,
    groupID: message.groupID,
  };
  const validation = validateBody(afterMsgSaveDB.schema, body);
  if (!validation.ok) {
    return {
      problem: `OpenIM's copy breaks the callback's schema (${Object.keys(validation.problems).join(', ')})`,
    };
  }
  const { operationID: _none, ...record } = afterMsgSaveDB.toRecord(validation.message, context);
  const size = recordSizeBytes(record);
  if (size > MAX_RECORD_BYTES) {
    return { problem: `it takes ${size} bytes; one record holds at most ${MAX_RECORD_BYTES}` };
  }
  return { record: { ...record, conversationID } as MessageRecord };
}
