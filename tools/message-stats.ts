/**
 * Messages and distinct users per day, read from the `byDay` index: only the attributes it holds
 * for counting are read, shard by shard, so the cost grows with the days asked for, not with the
 * table. One-to-one and group messages are counted apart.
 */
import { DAY_STATS_ATTRIBUTES, DerivedAttribute } from '../lambda/table-schema.ts';
import { countDayConflicts, dayEntries, daysBetween, type QueryTarget } from './message-queries.ts';

/** One UTC day's counts. */
export interface DayStats {
  readonly day: string;
  /** One-to-one messages. */
  readonly messages: number;
  /** Group messages. */
  readonly groupMessages: number;
  /** Users who sent a message of either kind. */
  readonly senders: number;
  /** Users who received a one-to-one message. */
  readonly receivers: number;
  /** One-to-one conversations with a message. */
  readonly conversations: number;
  /** Groups with a message. */
  readonly activeGroups: number;
  /** Messages sent that day that claimed a seq another message held (with the seqs table). */
  readonly seqConflicts?: number;
}

/** The counts for each day from `from` to `to` (UTC, both included), in day order. */
export async function dailyStats(
  target: QueryTarget,
  from: string,
  to: string,
  onDay: (stats: DayStats, index: number, days: number) => void = () => undefined,
): Promise<DayStats[]> {
  const days = daysBetween(from, to);
  const result: DayStats[] = [];
  for (const [index, day] of days.entries()) {
    const senders = new Set<unknown>();
    const receivers = new Set<unknown>();
    const conversations = new Set<unknown>();
    const groups = new Set<unknown>();
    let messages = 0;
    let groupMessages = 0;
    for await (const item of dayEntries(target, day, DAY_STATS_ATTRIBUTES)) {
      senders.add(item.sendID);
      if (typeof item.groupID === 'string') {
        groupMessages += 1;
        groups.add(item.groupID);
      } else {
        messages += 1;
        receivers.add(item.recvID);
        conversations.add(item[DerivedAttribute.conversationId]);
      }
    }
    const stats = {
      day,
      messages,
      groupMessages,
      senders: senders.size,
      receivers: receivers.size,
      conversations: conversations.size,
      activeGroups: groups.size,
      ...(target.seqTableName ? { seqConflicts: await countDayConflicts(target, day) } : {}),
    };
    result.push(stats);
    onDay(stats, index, days.length);
  }
  return result;
}
