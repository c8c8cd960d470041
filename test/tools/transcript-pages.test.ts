/**
 * The transcript's paging against the real engine: every message once, in send order, whichever
 * way the pages are walked, also where many messages share a millisecond across a page boundary
 * (DynamoDB orders those by its own hash) and across the partitions a group or a day spans; and a
 * page reads about a page, never the whole conversation.
 */
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayShardOf } from '../../lambda/message-record.ts';
import {
  ensureArchiveTables,
  LOCAL_AWS,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';
import type { QueryTarget } from '../../tools/message-queries.ts';
import {
  comparePositions,
  type Listing,
  neighbours,
  type PageStart,
  type Position,
  readPage,
} from '../../tools/transcript-pages.ts';
import { readOnly } from '../../tools/transcript-server.ts';
import { freshTableNames } from '../support/test-receiver.ts';

const DAY = '2025-05-09';
const START = Date.parse(`${DAY}T08:00:00Z`);

/** A stored message, as the index queries need it. */
interface Item {
  serverMsgID: string;
  conversationID: string;
  sendID: string;
  recvID?: string;
  groupID?: string;
  sentAt: number;
  dayShard: string;
  contentType: number;
  content: string;
  seq: number;
}

/** A message sent at `sentAt`; its ID sorts apart from the order it was stored in. */
function item(id: string, sentAt: number, where: Partial<Item>): Item {
  return {
    serverMsgID: id,
    conversationID: '',
    sendID: 'p_a',
    sentAt,
    dayShard: dayShardOf(sentAt, id),
    contentType: 101,
    content: JSON.stringify({ content: id }),
    seq: 0,
    ...where,
  };
}

/** 250 messages of one conversation; 30 of them (75 to 104) in one millisecond. */
const CONVERSATION = Array.from({ length: 250 }, (_, i) => {
  const sentAt = START + (i < 75 ? i : i < 105 ? 75 : i) * 10;
  const [sendID, recvID] = i % 2 ? ['p_b', 'p_a'] : ['p_a', 'p_b'];
  return item(`c-${String((i * 37) % 250).padStart(3, '0')}`, sentAt, {
    conversationID: 'si_p_a_p_b',
    sendID,
    recvID,
    seq: i + 1,
  });
});

/** 60 messages of a group and 40 of its legacy `g_` conversation, some in the same millisecond. */
const GROUP = Array.from({ length: 100 }, (_, i) => {
  const legacy = i % 5 < 2;
  return item(`g-${String((i * 13) % 100).padStart(3, '0')}`, START + 5_000 + Math.floor(i / 4), {
    conversationID: legacy ? 'g_G1' : 'sg_G1',
    groupID: 'G1',
    sendID: 'p_c',
  });
});

/** Three messages of the next day, which the day's listing must leave out. */
const NEXT_DAY = Array.from({ length: 3 }, (_, i) =>
  item(`n-${i}`, Date.parse(`${DAY}T23:59:59.999Z`) + 1 + i, {
    conversationID: 'si_p_a_p_b',
    recvID: 'p_b',
  }),
);

/** Items in send order, the order every listing must give. */
const inOrder = (items: readonly Item[]) =>
  [...items].sort(comparePositions).map((i) => i.serverMsgID);

let engine: LocalEngine;
let target: QueryTarget;
/** How many items the engine returned to Queries, since the last reset. */
const read = { items: 0 };

beforeAll(async () => {
  engine = await startLocalEngine();
  const tables = freshTableNames();
  await ensureArchiveTables(engine.client, tables);
  const all = [...CONVERSATION, ...GROUP, ...NEXT_DAY];
  for (let i = 0; i < all.length; i += 25) {
    await engine.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [tables.messages]: all.slice(i, i + 25).map((one) => ({
            PutRequest: { Item: marshall(one, { removeUndefinedValues: true }) },
          })),
        },
      }),
    );
  }
  const client = readOnly(new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint }));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === 'QueryCommand') {
        read.items += ((output.output as { Count?: number }).Count ?? 0) as number;
      }
      return output;
    },
    { step: 'initialize', name: 'countReads' },
  );
  target = { client, tableName: tables.messages, seqTableName: tables.seqs };
}, 60_000);

afterAll(async () => {
  target?.client.destroy();
  await engine?.close();
});

/** Every page of a listing, walked from one end by its own links. */
async function walk(
  listing: Listing,
  pageSize: number,
  direction: 'forward' | 'backward',
  window = {},
): Promise<{ ids: string[]; pages: number }> {
  const pages: string[][] = [];
  let start: PageStart = direction === 'forward' ? { kind: 'oldest' } : { kind: 'newest' };
  for (;;) {
    const page = await readPage(target, listing, window, start, pageSize);
    pages.push(page.messages.map((m) => String(m.serverMsgID)));
    expect(page.messages.length).toBeLessThanOrEqual(pageSize);
    const next = direction === 'forward' ? page.newer : page.older;
    if (!next) break;
    start = { kind: direction === 'forward' ? 'after' : 'before', position: next };
  }
  if (direction === 'backward') pages.reverse();
  return { ids: pages.flat(), pages: pages.length };
}

const CONVERSATION_LISTING: Listing = { kind: 'conversation', userA: 'p_b', userB: 'p_a' };

describe('a page of a listing', () => {
  it('walks a conversation 100 at a time, each message once, in send order, either way', async () => {
    const expected = inOrder([...CONVERSATION, ...NEXT_DAY]);

    const forward = await walk(CONVERSATION_LISTING, 100, 'forward');
    const backward = await walk(CONVERSATION_LISTING, 100, 'backward');

    expect(forward).toEqual({ ids: expected, pages: 3 });
    expect(backward).toEqual({ ids: expected, pages: 3 });
  });

  it('keeps a millisecond of 30 messages whole across page boundaries', async () => {
    // Pages of 7 cut the tied millisecond four times.
    expect((await walk(CONVERSATION_LISTING, 7, 'forward')).ids).toEqual(
      inOrder([...CONVERSATION, ...NEXT_DAY]),
    );
  });

  it('merges a group and its legacy g_ conversation, ties across both included', async () => {
    const listing: Listing = { kind: 'group', groupID: 'G1' };

    expect((await walk(listing, 25, 'forward')).ids).toEqual(inOrder(GROUP));
    expect((await walk(listing, 9, 'backward')).ids).toEqual(inOrder(GROUP));
  });

  it("merges a day's 16 shards and stays within the day and the time range", async () => {
    const day: Listing = { kind: 'day', day: DAY };
    const from = START + 5_000;
    const to = START + 5_010;

    expect((await walk(day, 40, 'forward')).ids).toEqual(inOrder([...CONVERSATION, ...GROUP]));
    expect((await walk(day, 6, 'backward', { from, to })).ids).toEqual(
      inOrder(GROUP.filter((g) => g.sentAt >= from && g.sentAt <= to)),
    );
  });

  it("lists what a user sent and what they received, and a window's part of it", async () => {
    const window = { from: START, to: START + 700 };
    const sent = CONVERSATION.filter((c) => c.sendID === 'p_b');
    const received = [...CONVERSATION, ...NEXT_DAY].filter((c) => c.recvID === 'p_b');

    expect((await walk({ kind: 'sent', user: 'p_b' }, 50, 'forward')).ids).toEqual(inOrder(sent));
    expect((await walk({ kind: 'received', user: 'p_b' }, 50, 'forward', window)).ids).toEqual(
      inOrder(received.filter((c) => c.sentAt <= window.to)),
    );
  });

  it('starts at a message, links back only when something is older, and finds neighbours', async () => {
    const order = inOrder(CONVERSATION);
    const position = (id: string): Position => {
      const found = CONVERSATION.find((c) => c.serverMsgID === id) as Item;
      return { sentAt: found.sentAt, serverMsgID: id };
    };
    const middle = position(order[90] as string);
    const first = position(order[0] as string);

    const at = await readPage(
      target,
      CONVERSATION_LISTING,
      {},
      { kind: 'at', position: middle },
      5,
    );
    const atFirst = await readPage(
      target,
      CONVERSATION_LISTING,
      {},
      { kind: 'at', position: first },
      5,
    );
    const around = await neighbours(target, CONVERSATION_LISTING, middle);

    expect(at.messages.map((m) => m.serverMsgID)).toEqual(order.slice(90, 95));
    expect(at.older).toEqual(middle);
    expect(atFirst.older).toBeUndefined();
    expect(around.previous?.serverMsgID).toBe(order[89]);
    expect(around.next?.serverMsgID).toBe(order[91]);
    expect((await neighbours(target, CONVERSATION_LISTING, first)).previous).toBeUndefined();
  });

  it('reads about one page of index entries for a page, not the conversation', async () => {
    read.items = 0;

    await readPage(target, CONVERSATION_LISTING, {}, { kind: 'newest' }, 10);

    // A request of 11 entries, and one more to see where the last one's millisecond ends: 22 at
    // most, of the conversation's 253.
    expect(read.items).toBeLessThanOrEqual(22);
  });

  it('sends reads only: its client refuses a write', async () => {
    await expect(
      target.client.send(
        new PutItemCommand({ TableName: target.tableName, Item: marshall({ serverMsgID: 'x' }) }),
      ),
    ).rejects.toThrow('the transcript only reads; it refused PutItemCommand');
  });
});
