/** Records as the callbacks build them, for tests that store or keep them directly. */
import { afterSendSingleMsg } from '../../lambda/callbacks/after-send-single-msg.ts';
import type { KeptRecord } from '../../lambda/message-fallback.ts';
import type { MessageRecord } from '../../lambda/message-record.ts';
import { sampleMessage } from './openim-wire.ts';

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
