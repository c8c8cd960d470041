/**
 * What a transcript shows between messages: the seqs of a conversation that no message holds.
 * Gaps come from the gap report (`seq-gaps.ts`); notifications and deleted slots are what a
 * reconcile marked with `openimKind`. Each is shown in place, right before the message whose seq
 * follows it, so that a reader sees "seqs 41–44 never received" where they would have been.
 */
import { MESSAGE_KEY, OpenImKind, SeqAttribute } from '../lambda/table-schema.ts';
import { conversationSeqs, type QueryTarget, type StoredMessage } from './message-queries.ts';
import { type GapStatus, gapReport } from './seq-gaps.ts';

/** A revoke the archive holds for a seq whose message never arrived. */
export interface LoneRevoke {
  readonly seq: number;
  readonly revokedBy: string;
  readonly revokedAt: number;
}

/** A range of seqs, both ends included, that holds no message of the archive. */
export type SeqEvent =
  | {
      readonly kind: 'gap';
      readonly fromSeq: number;
      readonly toSeq: number;
      readonly openim: GapStatus;
      /** Revokes of seqs in the gap: their messages were revoked, and never received. */
      readonly revokes: readonly LoneRevoke[];
    }
  | {
      readonly kind: 'notification';
      readonly fromSeq: number;
      readonly toSeq: number;
      /** The notifications' content types, once each. */
      readonly contentTypes: readonly number[];
    }
  | { readonly kind: 'deleted'; readonly fromSeq: number; readonly toSeq: number };

/** A seq that a second message claimed: it stays with the first (see docs/operations.md). */
export interface ClaimedSeq {
  readonly seq: number;
  /** The message the seq stays linked to. */
  readonly heldBy: string;
}

/** What a conversation's seqs say beside its messages. */
export interface SeqNotes {
  readonly conversationID: string;
  /** Gaps, notifications and deleted slots, in seq order. */
  readonly events: readonly SeqEvent[];
  /** Messages that claimed a seq another message holds, by `serverMsgID`. */
  readonly claimed: ReadonlyMap<string, ClaimedSeq>;
}

/**
 * A conversation's seq notes: its gap report, then one pass over its seqs for what a reconcile
 * marked and for seq conflicts. Holds ranges and marks, never the conversation's messages.
 */
export async function readSeqNotes(target: QueryTarget, conversationID: string): Promise<SeqNotes> {
  const { gaps } = await gapReport(target, conversationID);
  const runs: SeqEvent[] = [];
  const claimed = new Map<string, ClaimedSeq>();
  const loneRevokes: LoneRevoke[] = [];
  for await (const item of conversationSeqs(target, conversationID)) {
    const seq = Number(item.seq);
    if (seq < 1) continue;
    const kind = item[SeqAttribute.openimKind];
    if (kind === OpenImKind.notification || kind === OpenImKind.deleted) {
      const contentType = item[SeqAttribute.contentType];
      const last = runs.at(-1);
      if (last && last.kind === kind && last.toSeq === seq - 1) {
        runs[runs.length - 1] =
          last.kind === 'notification'
            ? {
                ...last,
                toSeq: seq,
                contentTypes:
                  typeof contentType === 'number' && !last.contentTypes.includes(contentType)
                    ? [...last.contentTypes, contentType]
                    : last.contentTypes,
              }
            : { ...last, toSeq: seq };
      } else {
        runs.push(
          kind === OpenImKind.notification
            ? {
                kind,
                fromSeq: seq,
                toSeq: seq,
                contentTypes: typeof contentType === 'number' ? [contentType] : [],
              }
            : { kind, fromSeq: seq, toSeq: seq },
        );
      }
    }
    const conflicting = item[SeqAttribute.conflictingMsgIDs];
    if (conflicting instanceof Set && item[MESSAGE_KEY.name] !== undefined) {
      for (const id of conflicting) {
        claimed.set(String(id), { seq, heldBy: String(item[MESSAGE_KEY.name]) });
      }
    }
    if (item[MESSAGE_KEY.name] === undefined && typeof item.revokedBy === 'string') {
      loneRevokes.push({ seq, revokedBy: item.revokedBy, revokedAt: Number(item.revokedAt) });
    }
  }
  const events: SeqEvent[] = [
    ...gaps.map(
      (gap): SeqEvent => ({
        kind: 'gap',
        fromSeq: gap.fromSeq,
        toSeq: gap.toSeq,
        openim: gap.openim,
        revokes: loneRevokes.filter((r) => r.seq >= gap.fromSeq && r.seq <= gap.toSeq),
      }),
    ),
    ...runs,
  ].sort((a, b) => a.fromSeq - b.fromSeq);
  return { conversationID, events, claimed };
}

/** A line of a transcript: a message, or seqs that hold none. */
export type TranscriptRow =
  | { readonly kind: 'message'; readonly message: StoredMessage }
  | { readonly kind: 'seqs'; readonly event: SeqEvent };

/**
 * A page's messages with each conversation's seq events in place. An event goes right before the
 * message whose seq follows it, together with the events adjacent to it (a gap, then a
 * notification, then another gap), so it shows once, on the page of that message; on the last page
 * the events after the last message follow it. Messages without a seq yet (after-send only) take
 * none, and are no anchor.
 */
export function placeSeqEvents(
  messages: readonly StoredMessage[],
  notes: ReadonlyMap<string, SeqNotes>,
  { firstPage, lastPage }: { readonly firstPage: boolean; readonly lastPage: boolean },
): TranscriptRow[] {
  const rows: TranscriptRow[] = [];
  const shown = new Set<SeqEvent>();
  const highest = new Map<string, number>();
  const index = new Map<
    string,
    { byTo: Map<number, SeqEvent>; byFrom: Map<number, SeqEvent>; all: readonly SeqEvent[] }
  >();
  for (const [conversationID, { events }] of notes) {
    index.set(conversationID, {
      byTo: new Map(events.map((e) => [e.toSeq, e])),
      byFrom: new Map(events.map((e) => [e.fromSeq, e])),
      all: events,
    });
  }
  for (const message of messages) {
    const conversationID = String(message.conversationID);
    const seq = Number(message.seq ?? 0);
    const events = index.get(conversationID);
    if (events && seq > 0) {
      const chain: SeqEvent[] = [];
      for (
        let e = events.byTo.get(seq - 1);
        e && !shown.has(e);
        e = events.byTo.get(e.fromSeq - 1)
      ) {
        chain.unshift(e);
        shown.add(e);
      }
      for (const event of chain) rows.push({ kind: 'seqs', event });
      highest.set(conversationID, Math.max(highest.get(conversationID) ?? 0, seq));
    }
    rows.push({ kind: 'message', message });
  }
  if (lastPage) {
    for (const [conversationID, events] of index) {
      const top = highest.get(conversationID);
      // With no seq on the page to follow, a page that is the whole listing shows them all; a
      // last page of several cannot tell which its earlier pages showed, and shows none.
      const tail =
        top === undefined
          ? firstPage
            ? events.all.filter((e) => !shown.has(e))
            : []
          : (() => {
              const chain: SeqEvent[] = [];
              for (let e = events.byFrom.get(top + 1); e && !shown.has(e); ) {
                chain.push(e);
                shown.add(e);
                e = events.byFrom.get(e.toSeq + 1);
              }
              return chain;
            })();
      for (const event of tail) rows.push({ kind: 'seqs', event });
    }
  }
  return rows;
}
