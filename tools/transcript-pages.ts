/**
 * The transcript's pages: a conversation, a group, a user's sent or received messages, or one UTC
 * day, read a page at a time in send order from the index that answers it, never whole. A page
 * starts at a position `(sentAt, serverMsgID)`. The engine orders messages sent in the same
 * millisecond as it likes (DynamoDB by a hash of the key), so each millisecond's messages are read
 * whole and ordered here by `serverMsgID`: that keeps every page boundary exact, also across the
 * partitions a group (`sg_` and `g_`) or a day (16 shards) is spread over.
 */
import { BATCH_GET_KEYS, readMessages } from '../lambda/archive-reads.ts';
import { groupConversationIds } from '../lambda/callbacks/after-send-group-msg.ts';
import { singleConversationId } from '../lambda/callbacks/after-send-single-msg.ts';
import { DAY_SHARDS, DerivedAttribute, dayShardKey, IndexName } from '../lambda/table-schema.ts';
import {
  indexEntriesInWindow,
  type QueryTarget,
  type StoredMessage,
  type TimeWindow,
} from './message-queries.ts';

/** What a transcript lists. */
export type Listing =
  | { readonly kind: 'conversation'; readonly userA: string; readonly userB: string }
  | { readonly kind: 'group'; readonly groupID: string }
  | { readonly kind: 'sent'; readonly user: string }
  | { readonly kind: 'received'; readonly user: string }
  | { readonly kind: 'day'; readonly day: string };

/** A message's place in send order. */
export interface Position {
  readonly sentAt: number;
  readonly serverMsgID: string;
}

/** Where a page starts: an end of the listing, or just past, at or just before a position. */
export type PageStart =
  | { readonly kind: 'oldest' }
  | { readonly kind: 'newest' }
  | { readonly kind: 'after' | 'at' | 'before'; readonly position: Position };

/** One page of a listing, oldest first, with where the pages beside it start. */
export interface MessagePage {
  readonly messages: readonly StoredMessage[];
  /** Set when older messages exist: the next page back ends just before it. */
  readonly older: Position | undefined;
  /** Set when newer messages exist: the next page on starts just after it. */
  readonly newer: Position | undefined;
}

/** How many messages a page shows. */
export const PAGE_SIZE = 100;

const ONE_DAY_MS = 86_400_000;

/** The index and the partitions a listing reads. */
function partitionsOf(listing: Listing): {
  readonly indexName: string;
  readonly keyName: string;
  readonly keys: readonly string[];
} {
  switch (listing.kind) {
    case 'conversation':
      return {
        indexName: IndexName.byConversation,
        keyName: DerivedAttribute.conversationId,
        keys: [singleConversationId(1, listing.userA, listing.userB)],
      };
    case 'group':
      return {
        indexName: IndexName.byConversation,
        keyName: DerivedAttribute.conversationId,
        keys: groupConversationIds(listing.groupID),
      };
    case 'sent':
      return { indexName: IndexName.bySender, keyName: 'sendID', keys: [listing.user] };
    case 'received':
      return { indexName: IndexName.byReceiver, keyName: 'recvID', keys: [listing.user] };
    case 'day':
      return {
        indexName: IndexName.byDay,
        keyName: DerivedAttribute.dayShard,
        keys: Array.from({ length: DAY_SHARDS }, (_, shard) => dayShardKey(listing.day, shard)),
      };
  }
}

/** The conversations whose seqs a listing shows in place: a conversation's, or a group's. */
export function conversationsOf(listing: Listing): readonly string[] {
  if (listing.kind === 'conversation' || listing.kind === 'group') {
    return partitionsOf(listing).keys;
  }
  return [];
}

/** A position's order: by `sentAt`, then by `serverMsgID` (UTF-16 code units). */
export function comparePositions(a: Position, b: Position): number {
  if (a.sentAt !== b.sentAt) return a.sentAt < b.sentAt ? -1 : 1;
  if (a.serverMsgID === b.serverMsgID) return 0;
  return a.serverMsgID < b.serverMsgID ? -1 : 1;
}

/** The window a listing reads: a day listing never leaves its day. */
function windowOf(listing: Listing, window: TimeWindow): { from: number; to: number } {
  let from = window.from ?? Number.MIN_SAFE_INTEGER;
  let to = window.to ?? Number.MAX_SAFE_INTEGER;
  if (listing.kind === 'day') {
    const start = Date.parse(`${listing.day}T00:00:00Z`);
    from = Math.max(from, start);
    to = Math.min(to, start + ONE_DAY_MS - 1);
  }
  return { from, to };
}

/**
 * The listing's positions in send order (or newest first), strictly past `start` when one is
 * given (or from it, with `inclusive`). Reads lazily: a caller that stops early reads little.
 */
async function* positions(
  target: QueryTarget,
  listing: Listing,
  window: TimeWindow,
  {
    newestFirst,
    start,
    inclusive = false,
    perRequest,
  }: { newestFirst: boolean; start?: Position; inclusive?: boolean; perRequest: number },
): AsyncGenerator<Position> {
  const { indexName, keyName, keys } = partitionsOf(listing);
  const range = windowOf(listing, window);
  // The start's own millisecond is read whole: its other messages may sort either side of it.
  if (start && !newestFirst) range.from = Math.max(range.from, start.sentAt);
  if (start && newestFirst) range.to = Math.min(range.to, start.sentAt);
  if (range.from > range.to) return;
  const streams = keys.map((keyValue) =>
    indexEntriesInWindow(target, { indexName, keyName, keyValue }, range, {
      newestFirst,
      perRequest,
    }),
  );
  const heads = await Promise.all(streams.map((stream) => stream.next()));
  const sign = newestFirst ? -1 : 1;
  const past = (position: Position) => {
    if (!start) return true;
    const order = sign * comparePositions(position, start);
    return inclusive ? order >= 0 : order > 0;
  };
  try {
    for (;;) {
      let edge: number | undefined;
      for (const head of heads) {
        if (!head.done && (edge === undefined || sign * (head.value.sentAt - edge) < 0)) {
          edge = head.value.sentAt;
        }
      }
      if (edge === undefined) return;
      const tied: Position[] = [];
      for (const [i, stream] of streams.entries()) {
        let head = heads[i];
        while (head && !head.done && head.value.sentAt === edge) {
          tied.push(head.value);
          head = await stream.next();
        }
        if (head) heads[i] = head;
      }
      tied.sort((a, b) => sign * comparePositions(a, b));
      for (const position of tied) if (past(position)) yield position;
    }
  } finally {
    await Promise.all(streams.map((stream) => stream.return(undefined)));
  }
}

/** The first `count` items of a stream; the stream is closed after. */
async function take<T>(items: AsyncGenerator<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  if (count <= 0) return taken;
  for await (const item of items) {
    taken.push(item);
    if (taken.length >= count) break;
  }
  return taken;
}

/** The whole records at `list`, in its order; one deleted since it was listed is left out. */
async function recordsAt(
  { client, tableName }: QueryTarget,
  list: readonly Position[],
): Promise<StoredMessage[]> {
  const records: StoredMessage[] = [];
  for (let i = 0; i < list.length; i += BATCH_GET_KEYS) {
    const ids = list.slice(i, i + BATCH_GET_KEYS).map((p) => p.serverMsgID);
    const found = await readMessages(client, tableName, ids);
    for (const id of ids) {
      const record = found.get(id);
      if (record) records.push(record);
    }
  }
  return records;
}

/** A stored message's position. */
export function positionOf(message: StoredMessage): Position {
  return { sentAt: Number(message.sentAt), serverMsgID: String(message.serverMsgID) };
}

/**
 * One page of a listing within `window`: at most `pageSize` messages from `start`, whole, oldest
 * first. Reads about one page of index entries (per partition) and the page's records; a page
 * that starts at a position also asks for one entry on its other side, to know if there is one.
 */
export async function readPage(
  target: QueryTarget,
  listing: Listing,
  window: TimeWindow,
  start: PageStart,
  pageSize: number = PAGE_SIZE,
): Promise<MessagePage> {
  const newestFirst = start.kind === 'newest' || start.kind === 'before';
  const position = 'position' in start ? start.position : undefined;
  const found = await take(
    positions(target, listing, window, {
      newestFirst,
      ...(position ? { start: position, inclusive: start.kind === 'at' } : {}),
      perRequest: pageSize + 1,
    }),
    pageSize + 1,
  );
  const more = found.length > pageSize;
  const shown = found.slice(0, pageSize);
  if (newestFirst) shown.reverse();
  const first = shown[0];
  const last = shown.at(-1);
  // Past the position the page started from, in the other direction, is there anything at all?
  const behind =
    position !== undefined && first !== undefined && last !== undefined
      ? (
          await take(
            positions(target, listing, window, {
              newestFirst: !newestFirst,
              start: newestFirst ? last : first,
              perRequest: 1,
            }),
            1,
          )
        ).length > 0
      : false;
  return {
    messages: await recordsAt(target, shown),
    older: (newestFirst ? more : behind) ? first : undefined,
    newer: (newestFirst ? behind : more) ? last : undefined,
  };
}

/** The messages just before and just after a position in a listing, whole, if any. */
export async function neighbours(
  target: QueryTarget,
  listing: Listing,
  position: Position,
): Promise<{ previous?: StoredMessage; next?: StoredMessage }> {
  const [before, after] = await Promise.all(
    [true, false].map(async (newestFirst) => {
      const [found] = await take(
        positions(target, listing, {}, { newestFirst, start: position, perRequest: 1 }),
        1,
      );
      return found ? (await recordsAt(target, [found]))[0] : undefined;
    }),
  );
  return { ...(before ? { previous: before } : {}), ...(after ? { next: after } : {}) };
}

/** The listing a message belongs to: its group, or its one-to-one conversation. */
export function listingOf(message: StoredMessage): Listing | undefined {
  if (typeof message.groupID === 'string' && message.groupID !== '') {
    return { kind: 'group', groupID: message.groupID };
  }
  if (typeof message.recvID === 'string' && typeof message.sendID === 'string') {
    return { kind: 'conversation', userA: message.sendID, userB: message.recvID };
  }
  return undefined;
}
