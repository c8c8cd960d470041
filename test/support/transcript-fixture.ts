/**
 * One conversation as a reviewer meets it, stored the way OpenIM and the tools store it: text, a
 * file, a picture, a revoked message, seqs that never arrived, a hostile message, a message a
 * reconcile recovered, a revoke notice, a redacted message. The console's tests and its
 * screenshots read it.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterMsgSaveDB } from '../../lambda/callbacks/after-msg-save-db.ts';
import { singleConversationId } from '../../lambda/callbacks/after-send-single-msg.ts';
import type { MessageRecord } from '../../lambda/message-record.ts';
import { type ArchiveTableNames, OpenImKind } from '../../lambda/table-schema.ts';
import { ensureArchiveTables, type LocalEngine } from '../../local/local-engine.ts';
import { deliver, harnessInstance, NOW } from './archive-harness.ts';
import { COMMANDS, encodeSaveDbBody, type OpenImMessage, sampleMessage } from './openim-wire.ts';
import { post } from './test-receiver.ts';

/** The two users. */
export const ALICE = 'alice';
export const BOB = 'bob';

/** Their conversation, as OpenIM names it. */
export const CONVERSATION = singleConversationId(1, ALICE, BOB);

/** A message that would run script if any page put it in as HTML. */
export const HOSTILE_TEXT =
  '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2; alert(1)">';

/** A nickname that would run script if it were put in as HTML. */
export const HOSTILE_NICKNAME = 'Alice"><svg onload="window.__pwned = 3">';

/** When the first message was sent: an hour before the harness's clock, which revokes use. */
const FIRST_SENT = NOW - 3_600_000;

/** A message of the conversation, sent `minutes` after the first. */
function message(
  n: number,
  from: string,
  minutes: number,
  contentType: number,
  content: unknown,
  overrides: Partial<OpenImMessage> = {},
): OpenImMessage {
  const sendTime = FIRST_SENT + minutes * 60_000 + n;
  return sampleMessage(900_000 + n, {
    sendID: from,
    recvID: from === ALICE ? BOB : ALICE,
    senderNickname: from === ALICE ? 'Alice' : 'Bob',
    senderPlatformID: 5,
    msgFrom: 100,
    status: 1,
    contentType,
    content: JSON.stringify(content),
    sendTime,
    createTime: sendTime - 300,
    atUserList: null,
    faceURL: '',
    ...overrides,
  });
}

/** The conversation's messages by seq, as OpenIM sent them. */
export const MESSAGES = {
  1: message(1, ALICE, 0, 101, { content: 'Hi Bob, do you have the Q3 report?' }),
  2: message(2, BOB, 2, 101, { content: 'Yes, sending it now.' }),
  3: message(3, BOB, 3, 105, {
    filePath: '',
    uuid: 'c2f4c6e0',
    sourceUrl: 'https://files.example.com/q3-report.pdf',
    fileName: 'q3-report.pdf',
    fileSize: 482_113,
  }),
  4: message(4, ALICE, 5, 102, {
    sourcePath: '',
    sourcePicture: {
      uuid: '8b1e',
      type: 'image/png',
      size: 120_422,
      width: 1280,
      height: 720,
      url: 'https://files.example.com/chart.png',
    },
  }),
  5: message(5, BOB, 6, 101, {
    content: 'Oops, wrong chat: the staging password is hunter2',
  }),
  9: message(9, ALICE, 12, 101, { content: HOSTILE_TEXT }, { senderNickname: HOSTILE_NICKNAME }),
  10: message(10, BOB, 14, 101, {
    content:
      'The long line that follows must wrap, not scroll: ' +
      'https://files.example.com/reports/2025/q3/final/really-final/this-time-for-sure/q3-report-v7.pdf',
  }),
  12: message(12, BOB, 20, 101, { content: 'Call me at +1 555 0100 about the numbers.' }),
  13: message(13, ALICE, 22, 101, { content: 'Thanks, talk later!' }),
} as const;

/** Seqs 6 to 8 never arrive; seq 11 is the revoke notice OpenIM numbered after the revoke. */
export const GAP = { fromSeq: 6, toSeq: 8 } as const;
export const NOTICE_SEQ = 11;

/** What the fixture stored, by what it is. */
export interface TranscriptFixture {
  readonly tables: ArchiveTableNames;
  readonly revoked: string;
  readonly hostile: string;
  readonly recovered: string;
  readonly redacted: string;
  readonly picture: string;
}

/**
 * Stores the conversation on `tables` of `engine` (new ones when unset): the save-DB callback of each message but
 * seq 10, which a reconcile recovers; a revoke of seq 5; the revoke notice at seq 11; and the
 * redaction of seq 12 as docs/finding-and-counting.md does it.
 */
export async function storeTranscriptFixture(
  engine: LocalEngine,
  tables?: ArchiveTableNames,
): Promise<TranscriptFixture> {
  if (tables) await ensureArchiveTables(engine.client, tables);
  const instance = await harnessInstance(engine, tables ? { tables } : {});
  const { handler, store } = instance;
  for (const [seq, sent] of Object.entries(MESSAGES)) {
    if (Number(seq) === 10) continue;
    const answer = await post(handler, `/${COMMANDS.saveDB}`, encodeSaveDbBody(sent, Number(seq)));
    if (answer.statusCode !== 200) throw new Error(`seq ${seq}: ${JSON.stringify(answer.body)}`);
  }
  const revoke = await deliver(
    handler,
    { kind: 'single', message: MESSAGES[5], seq: 5, revokedBy: BOB },
    'revoke',
  );
  if (revoke.statusCode !== 200) throw new Error(`revoke: ${JSON.stringify(revoke.body)}`);
  const recovered = afterMsgSaveDB.toRecord(
    { ...MESSAGES[10], callbackCommand: COMMANDS.saveDB, groupID: '', seq: 10 } as never,
    { receivedAt: NOW },
  ) as MessageRecord;
  await store.recoverMessage(recovered);
  await store.recordSeqKind({
    conversationID: CONVERSATION,
    seq: NOTICE_SEQ,
    kind: OpenImKind.notification,
    contentType: 2101,
  });
  await instance.client.send(
    new UpdateItemCommand({
      TableName: instance.tables.messages,
      Key: marshall({ serverMsgID: MESSAGES[12].serverMsgID }),
      UpdateExpression: 'REMOVE content, ex SET redactedAt = :now',
      ExpressionAttributeValues: marshall({ ':now': NOW + 60_000 }),
    }),
  );
  instance.client.destroy();
  return {
    tables: instance.tables,
    revoked: MESSAGES[5].serverMsgID,
    hostile: MESSAGES[9].serverMsgID,
    recovered: MESSAGES[10].serverMsgID,
    redacted: MESSAGES[12].serverMsgID,
    picture: MESSAGES[4].serverMsgID,
  };
}
