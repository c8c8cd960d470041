/**
 * A reconcile: the archive made complete against OpenIM's own store, on every OpenIM version. For
 * each one-to-one and group conversation OpenIM has (or those asked for), it pulls every seq not
 * yet asked, a hundred at a time, as a member sees them, and for each:
 *
 * - a chat message the archive lacks is stored as its save-DB callback would have stored it (a
 *   revoked one with its original content, from OpenIM's search);
 * - an archived message without its real seq gets it, and its seq link;
 * - a revoke OpenIM shows is marked, with OpenIM's revoker and time;
 * - a notification or a deleted slot is noted on the seq, so it is no gap.
 *
 * Every write is the archive store's own (idempotent, order-independent), so callbacks arriving
 * meanwhile, a second run, or two runs at once end in the same tables; the conversation's
 * checkpoint moves after each hundred, so a run stopped anywhere resumes where it stopped. A run
 * with nothing new writes nothing: it re-reads only the last seqs of conversations active lately,
 * for revokes made since.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readMessages, seqItems } from '../archive-reads.ts';
import type { ArchiveStore, RecoverResult, StoreResult } from '../archive-store.ts';
import { expiryOf } from '../message-record.ts';
import type { ChatLog, OpenImApi, PulledMessage } from '../openim-api.ts';
import {
  type ArchiveTableNames,
  DerivedAttribute,
  MESSAGE_KEY,
  OpenImKind,
  SeqAttribute,
} from '../table-schema.ts';
import { advanceCheckpoint, readCheckpoint, readUserPage, writeUserPage } from './checkpoints.ts';
import { MemberView } from './member-view.ts';
import { classify, type PulledSeq, recordOf } from './pulled-message.ts';

/** Seqs asked of OpenIM in one pull: the reference keeps pulls to about a hundred. */
export const PULL_SEQS = 100;

/** Users asked for their conversations per page. */
const USERS_PER_PAGE = 500;

/** What to re-check for revokes made after a seq was reconciled. */
export interface RecheckWindow {
  /** How many of a conversation's newest seqs. @default 100 */
  readonly seqs: number;
  /** Only in conversations whose newest message is at most this old, in hours. @default 24 */
  readonly hours: number;
}

/** What a reconcile needs. */
export interface ReconcileOptions {
  readonly api: OpenImApi;
  readonly store: ArchiveStore;
  /** A client for reading the tables (the store writes through its own). */
  readonly client: DynamoDBClient;
  readonly tables: ArchiveTableNames;
  /** Only these conversations; unset, every one OpenIM has. */
  readonly conversations?: readonly string[] | undefined;
  /** Count what would change, and change nothing. */
  readonly dryRun?: boolean;
  readonly recheck?: RecheckWindow;
  /** Days the records live, as the receiver's `ttlDays`. */
  readonly ttlDays?: number | undefined;
  /** Start no new hundred after this time (ms since the epoch); the next run resumes. */
  readonly deadline?: number;
  /** Conversations reconciled at once. @default 4 */
  readonly concurrency?: number;
  readonly now?: () => number;
  /** Called as the run goes, with the counts so far. */
  readonly onProgress?: (progress: ReconcileProgress) => void;
}

/** Counts of a run. */
export interface ReconcileCounts {
  /** Conversations looked at. */
  conversations: number;
  /** Chat messages the callbacks had missed, now stored. */
  recovered: number;
  /** Archived messages that got their real seq or their seq link. */
  linked: number;
  /** Messages newly marked revoked. */
  revoked: number;
  /** Seqs that hold a notification. */
  notifications: number;
  /** Seqs deleted in OpenIM. */
  deleted: number;
  /** Seqs asked that OpenIM no longer has and the archive does not account for. */
  gaps: number;
  /** Messages OpenIM gave a seq that another message already holds. */
  conflicts: number;
  /** Chat messages OpenIM has that could not be stored, with why (below). */
  unrecoverable: number;
}

/** How far a run got. */
export interface ReconcileProgress extends ReconcileCounts {
  /** Users asked for their conversations, and how many OpenIM has. */
  readonly usersDone: number;
  readonly usersTotal: number | undefined;
}

/** What a run did. */
export interface ReconcileSummary extends ReconcileCounts {
  /** Conversations that could not be pulled, and why. */
  readonly failed: { readonly conversationID: string; readonly reason: string }[];
  /** Messages that could not be stored, and why (IDs only). */
  readonly problems: { readonly serverMsgID: string; readonly reason: string }[];
  /** Conversations whose newest seqs were asked again for revokes, and how many seqs. */
  readonly rechecked: { conversations: number; seqs: number };
  /** Notification (`n_`) conversations left out. */
  skipped: number;
  /** Whether every conversation was gone through (false: stopped at the deadline). */
  complete: boolean;
}

/** A conversation to reconcile: its newest seq, and a user who has it. */
interface Found {
  readonly conversationID: string;
  readonly maxSeq: number;
  readonly userID: string | undefined;
}

/** Runs `task` on each item, at most `limit` at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Whether a conversation is one of OpenIM's notification (`n_`) conversations. */
function isNotificationConversation(conversationID: string): boolean {
  return conversationID.startsWith('n_');
}

/** Reconciles the archive against OpenIM, as {@link ReconcileOptions} say. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { api, store, client, tables, dryRun = false, now = Date.now } = options;
  const recheck = options.recheck ?? { seqs: 100, hours: 24 };
  const concurrency = options.concurrency ?? 4;
  const summary: ReconcileSummary = {
    conversations: 0,
    recovered: 0,
    linked: 0,
    revoked: 0,
    notifications: 0,
    deleted: 0,
    gaps: 0,
    conflicts: 0,
    unrecoverable: 0,
    failed: [],
    problems: [],
    rechecked: { conversations: 0, seqs: 0 },
    skipped: 0,
    complete: true,
  };
  let usersDone = 0;
  let usersTotal: number | undefined;
  const report = () => options.onProgress?.({ ...summary, usersDone, usersTotal });
  const outOfTime = () => options.deadline !== undefined && now() >= options.deadline;
  const context = { receivedAt: now(), ttlDays: options.ttlDays };
  const { expiresAt } = expiryOf(context);

  /** Counts what a store write did. */
  const count = (result: StoreResult & Partial<RecoverResult>) => {
    if (result.recovered) summary.recovered += 1;
    if (result.linked) summary.linked += 1;
    if (result.seqConflict) summary.conflicts += 1;
  };

  /** The original of a message OpenIM shows revoked (or hidden from its puller), from its search. */
  const searchOriginal = async (message: PulledMessage): Promise<ChatLog | undefined> => {
    const day = new Date(message.sendTime).toISOString().slice(0, 10);
    for await (const log of api.search({
      sendID: message.sendID,
      recvID: message.groupID || message.recvID,
      sessionType: message.sessionType,
      day,
    })) {
      if (log.serverMsgID === message.serverMsgID) return log;
    }
    return undefined;
  };

  /** Does to the archive what one seq calls for. */
  const settle = async (
    conversationID: string,
    pulled: PulledSeq,
    archived: Map<string, Record<string, unknown>>,
    seqItem: Record<string, unknown> | undefined,
  ) => {
    if (pulled.kind !== 'message') {
      const kind = pulled.kind === 'deleted' ? OpenImKind.deleted : OpenImKind.notification;
      if (seqItem?.[SeqAttribute.openimKind] === kind) return;
      if (kind === OpenImKind.deleted) summary.deleted += 1;
      else summary.notifications += 1;
      if (dryRun) return;
      await store.recordSeqKind({
        conversationID,
        seq: pulled.seq,
        kind,
        ...(pulled.kind === 'notification' ? { contentType: pulled.contentType } : {}),
        expiresAt,
      });
      return;
    }
    const { message, seq } = pulled;
    const stored = archived.get(message.serverMsgID);
    const linkedTo = seqItem?.[MESSAGE_KEY.name];
    if (!stored) {
      let content = pulled.content;
      let original: ChatLog | undefined;
      if (content === undefined) {
        original = await searchOriginal(message);
        content = original?.content;
      }
      const made =
        content === undefined
          ? { problem: "its content is in neither OpenIM's pull nor its search" }
          : recordOf(message, content, conversationID, context, original);
      if ('problem' in made) {
        summary.unrecoverable += 1;
        summary.problems.push({ serverMsgID: message.serverMsgID, reason: made.problem });
        return;
      }
      if (dryRun) summary.recovered += 1;
      else count(await store.recoverMessage(made.record));
    } else if (stored.seq === 0 || linkedTo !== message.serverMsgID) {
      // Archived without its seq, or with it but not linked to it: a save-DB cut short, or
      // another message holds the seq (a conflict, which the store records).
      if (dryRun) {
        if (linkedTo === undefined || stored.seq === 0) summary.linked += 1;
        else summary.conflicts += 1;
      } else {
        const result = await store.linkMessage({
          serverMsgID: message.serverMsgID,
          conversationID,
          seq,
        });
        if (result) count(result);
      }
    }
    const { revoke } = pulled;
    if (!revoke) return;
    const markedAt = stored?.[DerivedAttribute.revokedAt] as number | undefined;
    const seqRevokedAt = seqItem?.[DerivedAttribute.revokedAt] as number | undefined;
    const done =
      stored !== undefined &&
      markedAt !== undefined &&
      markedAt <= revoke.revokedAt &&
      seqRevokedAt !== undefined &&
      seqRevokedAt <= revoke.revokedAt;
    if (done) return;
    if (dryRun) {
      if (markedAt === undefined) summary.revoked += 1;
      return;
    }
    const result = await store.recordRevoke({
      conversationID,
      seq,
      ...revoke,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    if (result.marked) summary.revoked += 1;
  };

  /** Reconciles one conversation from where its checkpoint says. */
  const reconcileConversation = async ({ conversationID, maxSeq, userID }: Found) => {
    summary.conversations += 1;
    const checkpoint = await readCheckpoint(client, tables.seqs, conversationID);
    const through = checkpoint?.reconciledThrough ?? 0;
    const active =
      checkpoint?.newestSendTime !== undefined &&
      now() - checkpoint.newestSendTime <= recheck.hours * 3_600_000;
    const start = active ? Math.max(1, through - recheck.seqs + 1) : through + 1;
    if (start > maxSeq) return;
    if (start <= through) {
      summary.rechecked.conversations += 1;
      summary.rechecked.seqs += Math.min(through, maxSeq) - start + 1;
    }
    const view = new MemberView(api, conversationID, [checkpoint?.pullAs, userID]);
    let newest = checkpoint?.newestSendTime ?? 0;
    for (let begin = start; begin <= maxSeq; begin += PULL_SEQS) {
      if (outOfTime()) {
        summary.complete = false;
        return;
      }
      const end = Math.min(begin + PULL_SEQS - 1, maxSeq);
      const pulled = (await view.pull(begin, end)).map(classify);
      const ids = pulled.flatMap((p) => (p.kind === 'message' ? [p.message.serverMsgID] : []));
      const archived = await readMessages(client, tables.messages, ids, [
        'seq',
        DerivedAttribute.revokedAt,
      ]);
      const items = new Map<number, Record<string, unknown>>();
      for await (const item of seqItems(client, tables.seqs, conversationID, {
        fromSeq: begin,
        toSeq: end,
      })) {
        items.set(Number(item.seq), item);
      }
      // Seqs OpenIM no longer returns stay gaps, unless the archive has them.
      const returned = new Set(pulled.map((p) => p.seq));
      for (let seq = begin; seq <= end; seq += 1) {
        const item = items.get(seq);
        const accounted =
          item?.[MESSAGE_KEY.name] !== undefined || item?.[SeqAttribute.openimKind] !== undefined;
        if (!returned.has(seq) && !accounted) summary.gaps += 1;
      }
      await eachLimited(pulled, 8, (p) => settle(conversationID, p, archived, items.get(p.seq)));
      for (const p of pulled) {
        if (p.kind === 'message') newest = Math.max(newest, p.message.sendTime);
      }
      if (!dryRun && end > through) {
        await advanceCheckpoint(client, tables.seqs, conversationID, {
          reconciledThrough: end,
          reconciledAt: now(),
          newestSendTime: newest,
          pullAs: view.userID ?? '',
        });
      }
      report();
    }
  };

  /** Reconciles some conversations, noting each one that could not be pulled. */
  const reconcileAll = (found: readonly Found[]) =>
    eachLimited(found, concurrency, async (one) => {
      try {
        await reconcileConversation(one);
      } catch (error) {
        if ((error as { tokenRefused?: boolean }).tokenRefused) throw error;
        summary.failed.push({
          conversationID: one.conversationID,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      report();
    });

  await api.authenticate();
  if (options.conversations) {
    const found: Found[] = [];
    for (const conversationID of options.conversations) {
      const view = new MemberView(api, conversationID, []);
      const newest = await view.newestSeq();
      if (newest === undefined) {
        summary.failed.push({
          conversationID,
          reason:
            'no user of it that OpenIM knows has this conversation (check the ID: ' +
            'si_<smaller user ID>_<larger>, sg_<groupID>)',
        });
        continue;
      }
      found.push({ conversationID, maxSeq: newest.maxSeq, userID: newest.userID });
    }
    await reconcileAll(found);
    report();
    return summary;
  }

  // Every conversation of every user, page by page; a conversation seen again (through its other
  // members) is reconciled once per run.
  const seen = new Set<string>();
  const firstPage = dryRun ? 1 : await readUserPage(client, tables.seqs);
  for (let page = firstPage; ; page += 1) {
    if (outOfTime()) {
      summary.complete = false;
      if (!dryRun) await writeUserPage(client, tables.seqs, page);
      break;
    }
    const { total, userIDs } = await api.userPage(page, USERS_PER_PAGE);
    usersTotal = total;
    if (page === firstPage) usersDone = (page - 1) * USERS_PER_PAGE;
    if (userIDs.length === 0) {
      if (!dryRun && firstPage !== 1) await writeUserPage(client, tables.seqs, 1);
      break;
    }
    // Asked 8 at a time, but taken in OpenIM's order of users, so that every run picks the same
    // user for a conversation.
    const newest: Record<string, number>[] = new Array(userIDs.length);
    await eachLimited([...userIDs.keys()], 8, async (i) => {
      newest[i] = await api.newestSeqs(userIDs[i] as string);
      usersDone += 1;
    });
    const found: Found[] = [];
    for (const [i, userID] of userIDs.entries()) {
      for (const [conversationID, maxSeq] of Object.entries(newest[i] ?? {})) {
        if (isNotificationConversation(conversationID)) {
          summary.skipped += 1;
          continue;
        }
        if (seen.has(conversationID) || maxSeq < 1) continue;
        seen.add(conversationID);
        found.push({ conversationID, maxSeq, userID });
      }
    }
    await reconcileAll(found);
    if (!summary.complete) {
      // Ran out of time inside this page: the next run starts with it again.
      if (!dryRun) await writeUserPage(client, tables.seqs, page);
      break;
    }
    report();
    if (userIDs.length < USERS_PER_PAGE) {
      if (!dryRun && firstPage !== 1) await writeUserPage(client, tables.seqs, 1);
      break;
    }
  }
  report();
  return summary;
}
