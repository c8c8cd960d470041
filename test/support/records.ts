/** Records as the callbacks build them, for tests that store or keep them directly. */
import { afterMsgSaveDB } from '../../lambda/callbacks/after-msg-save-db.ts';
import { afterSendSingleMsg } from '../../lambda/callbacks/after-send-single-msg.ts';
import type { KeptRecord } from '../../lambda/message-fallback.ts';
import type { MessageRecord } from '../../lambda/message-record.ts';
import { DerivedAttribute } from '../../lambda/table-schema.ts';
import { type OpenImMessage, sampleMessage } from './openim-wire.ts';

/** When the sample records arrived. */
export const RECEIVED_AT = 1_764_000_000_000;

/** The single-chat after-send record of {@link sampleMessage} `n`. */
export function singleRecordOf(n: number): MessageRecord {
  return afterSendSingleMsg.toRecord(sampleMessage(n) as never, { receivedAt: RECEIVED_AT });
}

/** That record as the fallback keeps it. */
export function keptSingleOf(n: number): KeptRecord {
  return { callback: afterSendSingleMsg.command, record: singleRecordOf(n) };
}

/** The save-DB record of {@link sampleMessage} `n` with `seq`, as the fallback keeps it. */
export function keptSaveDbOf(n: number, seq: number): KeptRecord {
  return keptSaveDbOfMessage(sampleMessage(n), seq);
}

/** The save-DB record of a one-to-one message with `seq`, as the fallback keeps it. */
export function keptSaveDbOfMessage(message: OpenImMessage, seq: number): KeptRecord {
  const body = {
    ...message,
    callbackCommand: afterMsgSaveDB.command,
    operationID: `${message.operationID}-savedb`,
    groupID: '',
    seq,
  };
  return {
    callback: afterMsgSaveDB.command,
    record: afterMsgSaveDB.toRecord(body as never, { receivedAt: RECEIVED_AT }),
  };
}

/** The callback body a record was made from: the callback's known fields and any unknown ones. */
export function toCallbackBody(
  record: Readonly<Record<string, unknown>>,
  knownFields: ReadonlySet<string>,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of knownFields) {
    if (record[field] !== undefined) body[field] = record[field];
  }
  const unknownFields = record[DerivedAttribute.unknownFields];
  if (typeof unknownFields === 'string') Object.assign(body, JSON.parse(unknownFields));
  return body;
}
