/**
 * Messages and distinct users per day, read from the `byDay` index: only the three attributes that
 * are counted are read, shard by shard, so the cost grows with the days asked for, not with the
 * table.
 */
import { DerivedAttribute } from '../lambda/table-schema.ts';
import { dayMessages, daysBetween, type QueryTarget } from './message-queries.ts';

/** One UTC day's counts. */
export interface DayStats {
  readonly day: string;
  readonly messages: number;
  readonly senders: number;
  readonly receivers: number;
  readonly conversations: number;
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
    let messages = 0;
    const attributes = ['sendID', 'recvID', DerivedAttribute.conversationId];
    for await (const item of dayMessages(target, day, attributes)) {
      messages += 1;
      senders.add(item.sendID);
      receivers.add(item.recvID);
      conversations.add(item[DerivedAttribute.conversationId]);
    }
    const stats = {
      day,
      messages,
      senders: senders.size,
      receivers: receivers.size,
      conversations: conversations.size,
    };
    result.push(stats);
    onDay(stats, index, days.length);
  }
  return result;
}
