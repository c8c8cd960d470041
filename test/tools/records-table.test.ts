/**
 * What `records` shows a person on a terminal: each message's seq, its revoke (who and when),
 * redacted content as redacted, and a message recovered by a reconcile, against the real engine.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as records } from '../../tools/records.ts';
import {
  COMMANDS,
  encodeBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  sampleMessage,
} from '../support/openim-wire.ts';
import { post, startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';
import { runMain } from '../support/tool-main.ts';

const [A, B] = ['table_a', 'table_b'];
const REVOKED_AT_MIN = Date.now();
/** When the redaction job and the reconcile ran, in ms. */
const REDACTED_AT = Date.UTC(2025, 4, 10, 8);
const RECOVERED_AT = Date.UTC(2025, 4, 11, 9, 30);

/** Four messages of one conversation, in send order. */
const [plain, revoked, redacted, recovered] = [1, 2, 3, 4].map((n) =>
  sampleMessage(90_000 + n, { sendID: A, recvID: B, sendTime: 1_746_797_848_000 + n * 1_000 }),
) as [
  ReturnType<typeof sampleMessage>,
  ReturnType<typeof sampleMessage>,
  ReturnType<typeof sampleMessage>,
  ReturnType<typeof sampleMessage>,
];

let receiver: TestReceiver;
let env: Record<string, string>;

beforeAll(async () => {
  receiver = await startTestReceiver();
  env = {
    DYNAMODB_PORT: new URL(receiver.engine.endpoint).port,
    TABLE_NAME: receiver.tables.messages,
  };
  const send = async (path: string, body: string) => {
    const answer = await post(receiver.handler, path, body);
    if (answer.statusCode !== 200) throw new Error(JSON.stringify(answer));
  };
  // The plain message: after-send only (seq 0 until a save-DB callback comes)
  await send(`/${COMMANDS.single}`, encodeBody(plain, 'v3.8.1'));
  // The revoked and the redacted one: saved with their seqs, then revoked by B
  for (const [message, seq] of [
    [revoked, 7],
    [redacted, 8],
  ] as const) {
    await send(`/${COMMANDS.saveDB}`, encodeSaveDbBody(message, seq));
    await send(
      `/${COMMANDS.revoke}`,
      encodeRevokeBody({ conversationID: `si_${A}_${B}`, seq, userID: B }),
    );
  }
  // A redaction as docs/finding-and-counting.md's job does it
  await receiver.engine.client.send(
    new UpdateItemCommand({
      TableName: receiver.tables.messages,
      Key: { serverMsgID: { S: redacted.serverMsgID } },
      UpdateExpression: 'REMOVE content, ex SET redactedAt = :now',
      ConditionExpression: 'attribute_exists(revokedBy)',
      ExpressionAttributeValues: { ':now': { N: String(REDACTED_AT) } },
    }),
  );
  // A message no callback brought, stored by a reconcile from OpenIM's API with recoveredAt
  await send(`/${COMMANDS.saveDB}`, encodeSaveDbBody(recovered, 9));
  await receiver.engine.client.send(
    new UpdateItemCommand({
      TableName: receiver.tables.messages,
      Key: { serverMsgID: { S: recovered.serverMsgID } },
      UpdateExpression: 'SET recoveredAt = :at',
      ExpressionAttributeValues: { ':at': { N: String(RECOVERED_AT) } },
    }),
  );
});
afterAll(() => receiver.close());

/** The table's rows, each cut into its cells where the header's columns start. */
function rows(stdout: string): string[][] {
  const [header = '', ...lines] = stdout.trimEnd().split('\n');
  const starts = [...header.matchAll(/(?:^|(?<= {2}))\S/g)].map((match) => match.index);
  return [header, ...lines].map((line) =>
    starts.map((start, i) => line.slice(start, starts[i + 1]).trim()),
  );
}

describe('records on a terminal', () => {
  it('shows the seq, the revoke, redacted content and a recovered message, row by row', async () => {
    // WHEN the conversation is listed on a terminal
    const result = await runMain(records, ['conversation', A, B], { env, tty: true });

    // THEN each row says what matters about its message
    expect(result.code, result.stderr).toBe(0);
    const [header, ...body] = rows(result.stdout);
    expect(header).toEqual([
      'sent (UTC)',
      'from',
      'to',
      'seq',
      'type',
      'serverMsgID',
      'content',
      'revoked',
      'note',
    ]);
    const cells = (message: typeof plain) => {
      const row = body.find((r) => r[5] === message.serverMsgID);
      if (!row) throw new Error(`no row for ${message.serverMsgID}`);
      return { seq: row[3], content: row[6], revoked: row[7], note: row[8] };
    };
    expect(cells(plain)).toEqual({
      seq: '-',
      content: `hi #90001 <b>&amp;</b> \u2028 ✓ 😀`.replace(/\s+/g, ' '),
      revoked: '',
      note: '',
    });
    const revokedRow = cells(revoked);
    expect(revokedRow.seq).toBe('7');
    expect(revokedRow.revoked).toMatch(new RegExp(`^${B} \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z$`));
    expect(Date.parse(revokedRow.revoked?.split(' ')[1] ?? '')).toBeGreaterThanOrEqual(
      REVOKED_AT_MIN - 1_000,
    );
    expect(cells(redacted)).toMatchObject({
      seq: '8',
      content: `(redacted ${new Date(REDACTED_AT).toISOString()})`,
      revoked: expect.stringMatching(new RegExp(`^${B} `)),
    });
    expect(cells(recovered)).toEqual({
      seq: '9',
      content: expect.stringContaining('hi #90004'),
      revoked: '',
      note: `recovered ${new Date(RECOVERED_AT).toISOString()}`,
    });
  });

  it('shows the same marks for one message, and the whole record as JSON when piped', async () => {
    const table = await runMain(records, ['message', redacted.serverMsgID], { env, tty: true });
    const json = await runMain(records, ['message', recovered.serverMsgID], { env });

    expect(table.stdout).toContain(`(redacted ${new Date(REDACTED_AT).toISOString()})`);
    expect(json.json).toEqual([
      expect.objectContaining({
        serverMsgID: recovered.serverMsgID,
        seq: 9,
        recoveredAt: RECOVERED_AT,
      }),
    ]);
  });
});
