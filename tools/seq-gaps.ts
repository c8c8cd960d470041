/**
 * The gap report: which seqs of a conversation neither a callback nor a reconcile accounted for.
 * A seq is accounted for when the seqs table links it to a message, when a reconcile found a
 * notification or a deleted slot there, or when a stored message carries it (its save-DB
 * callback stopped before linking it). Each gap says whether a reconcile asked OpenIM for it
 * (OpenIM no longer has it) or not yet.
 */
import { MESSAGE_KEY, SeqAttribute } from '../lambda/table-schema.ts';
import {
  conversationMessageIds,
  conversationSeqs,
  type QueryTarget,
  readAttributes,
} from './message-queries.ts';

/** What a reconcile did about a gap. */
export type GapStatus =
  /** A reconcile asked OpenIM for these seqs, and it no longer has them (cleared, retention). */
  | 'openim-no-longer-has'
  /** No reconcile asked for them yet. */
  | 'not-asked';

/** A range of seqs that nothing accounted for, both ends included. */
export interface SeqGap {
  readonly conversationID: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly openim: GapStatus;
}

/** What the report looked at, for the lines around it. */
export interface GapScope {
  readonly conversationID: string;
  /** Whether the archive has anything of the conversation: a seq, a message, a reconcile. */
  readonly heardOf: boolean;
  /** The first seq checked: 1, or the oldest kept where a TTL expired the older ones. */
  readonly fromSeq: number;
  /** Whether older seqs expired with the TTL, so checking starts at `fromSeq`. */
  readonly expiredBelow: boolean;
  /** The highest seq accounted for: gaps stop there. */
  readonly toSeq: number;
  /** Every seq up to here was asked of OpenIM by a reconcile, if one ran. */
  readonly reconciledThrough?: number;
  /** When that reconcile ran, in ms. */
  readonly reconciledAt?: number;
}

/** A gap report: its scope and its gaps, in seq order. */
export interface GapReport {
  readonly scope: GapScope;
  readonly gaps: readonly SeqGap[];
}

/** Ranges `[from, to]` with the seqs in `taken` cut out. */
function cutOut(ranges: [number, number][], taken: readonly number[]): [number, number][] {
  let result = ranges;
  for (const seq of [...new Set(taken)].sort((a, b) => a - b)) {
    result = result.flatMap(([from, to]): [number, number][] =>
      seq < from || seq > to
        ? [[from, to]]
        : ([
            [from, seq - 1],
            [seq + 1, to],
          ].filter(([a, b]) => (a as number) <= (b as number)) as [number, number][]),
    );
  }
  return result;
}

/**
 * The gaps of a conversation. The seqs table is read once, in seq order; only if it leaves
 * gaps are the conversation's messages read too (their `seq`), so that a message stored with its
 * seq whose link was never written is no gap.
 */
export async function gapReport(target: QueryTarget, conversationID: string): Promise<GapReport> {
  let checkpoint: Record<string, unknown> | undefined;
  let first: number | undefined;
  let expires = false;
  let expected: number | undefined;
  let highest = 0;
  const candidates: [number, number][] = [];
  for await (const item of conversationSeqs(target, conversationID)) {
    const seq = Number(item.seq);
    if (seq < 1) {
      checkpoint = item;
      continue;
    }
    first ??= seq;
    expires ||= item.expiresAt !== undefined;
    const accounted =
      item[MESSAGE_KEY.name] !== undefined || item[SeqAttribute.openimKind] !== undefined;
    if (!accounted) continue;
    // Where a TTL removes old seq items, checking starts at the oldest one kept.
    expected ??= expires ? (first as number) : 1;
    if (seq > expected) candidates.push([expected, seq - 1]);
    expected = Math.max(expected, seq + 1);
    highest = Math.max(highest, seq);
  }
  let gaps = candidates;
  let heardOf = first !== undefined || checkpoint !== undefined;
  if (gaps.length > 0 || !heardOf) {
    for await (const ids of conversationMessageIds(target, conversationID)) {
      heardOf = true;
      if (gaps.length === 0) break;
      const records = await readAttributes(target, ids, ['seq']);
      gaps = cutOut(
        gaps,
        records.map((record) => Number(record.seq)),
      );
    }
  }
  const reconciledThrough = checkpoint?.[SeqAttribute.reconciledThrough] as number | undefined;
  const split = gaps.flatMap(([from, to]): SeqGap[] => {
    const asked = reconciledThrough ?? 0;
    const gap = (a: number, b: number, openim: GapStatus): SeqGap => ({
      conversationID,
      fromSeq: a,
      toSeq: b,
      openim,
    });
    if (to <= asked) return [gap(from, to, 'openim-no-longer-has')];
    if (from > asked) return [gap(from, to, 'not-asked')];
    return [gap(from, asked, 'openim-no-longer-has'), gap(asked + 1, to, 'not-asked')];
  });
  return {
    scope: {
      conversationID,
      heardOf,
      fromSeq: expires && first !== undefined ? first : 1,
      expiredBelow: expires && first !== undefined && first > 1,
      toSeq: highest,
      ...(reconciledThrough === undefined ? {} : { reconciledThrough }),
      ...(checkpoint?.[SeqAttribute.reconciledAt] === undefined
        ? {}
        : { reconciledAt: checkpoint[SeqAttribute.reconciledAt] as number }),
    },
    gaps: split,
  };
}

/** Whether the archive has anything of a conversation: a seq item, or a message. */
export async function isHeardOf(target: QueryTarget, conversationID: string): Promise<boolean> {
  for await (const _item of conversationSeqs(target, conversationID)) return true;
  for await (const _ids of conversationMessageIds(target, conversationID)) return true;
  return false;
}
