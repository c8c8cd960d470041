/**
 * The revoke callback, `afterRevokeMsg` in `webhooks.yml` (OpenIM v3.8.x and `main`): a user
 * revoked ("recalled") a message. Its command is `callbackBeforeAfterMsgCommand`, sic: OpenIM's
 * constant `CallbackAfterRevokeMsgCommand` holds that typo. It names the message only by
 * `conversationID` and `seq`, which the save-DB callback or a reconcile ties to a message.
 */
import * as v from 'valibot';
import type { RevokeRecord } from '../archive-store.ts';
import type { Callback } from '../callback.ts';
import { Command, Id, RealSeq } from '../message-fields.ts';
import { expiryOf } from '../message-record.ts';

/** The command, with OpenIM's typo. */
export const AFTER_REVOKE_MSG = 'callbackBeforeAfterMsgCommand';

/** Go's `CallbackAfterRevokeMsgReq`. */
export const AfterRevokeMsgSchema = v.looseObject({
  callbackCommand: Command,
  conversationID: Id,
  seq: RealSeq,
  userID: Id,
});

/** A validated body. */
export type AfterRevokeMsg = v.InferOutput<typeof AfterRevokeMsgSchema>;

/**
 * Marks the message `revokedBy`/`revokedAt` and keeps its content (an archive). A revoke whose
 * seq has no message yet is kept on the seq and applied when the save-DB callback or a reconcile
 * links one.
 */
export const afterRevokeMsg: Callback<AfterRevokeMsg, RevokeRecord> = {
  command: AFTER_REVOKE_MSG,
  webhooksKey: 'afterRevokeMsg',
  summary: 'revokes, by conversation and seq; marked on the message once its seq is known',
  openImVersions: 'v3.8.x and main',
  schema: AfterRevokeMsgSchema,
  toRecord: ({ conversationID, seq, userID }, context) => ({
    conversationID,
    seq,
    revokedBy: userID,
    revokedAt: context.receivedAt,
    ...expiryOf(context),
  }),
  store: (archive, record) => archive.recordRevoke(record),
  identify: ({ conversationID, seq }) => ({ conversationID, seq }),
};
