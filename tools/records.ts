/**
 * `npm run -s records -- COMMAND …`: finds messages, locally by default or in AWS with `--stack` or
 * `--table`. Queries only; it never scans the table. (`-s` keeps npm's banner out of a redirect.)
 *
 *   records conversation USER_A USER_B [--from DATE] [--to DATE]
 *   records group GROUP_ID [--from DATE] [--to DATE]
 *   records sent USER [--from DATE] [--to DATE]
 *   records received USER [--from DATE] [--to DATE]
 *   records message SERVER_MSG_ID
 *   records seq CONVERSATION_ID SEQ
 *   records gaps CONVERSATION_ID
 *   records export --from DATE [--to DATE] > messages.jsonl
 *
 * A table on a terminal (with each message's seq, its revoke, and whether it was redacted or
 * recovered); JSON Lines (one stored record, or one gap, per line) when piped or with `--json`.
 * Every run first says on stderr which engine or AWS target and which tables it reads.
 */
import { parseArgs } from 'node:util';
import { singleConversationId } from '../lambda/callbacks/after-send-single-msg.ts';
import {
  commandLine,
  formatTable,
  type MainOptions,
  type Output,
  parseDays,
  today,
  wantsJson,
} from './cli-output.ts';
import {
  conversationMessages,
  dayConflicts,
  dayMessages,
  daysBetween,
  findBySeq,
  findMessage,
  groupMessages,
  receivedMessages,
  type StoredMessage,
  sentMessages,
  type TimeWindow,
} from './message-queries.ts';
import { type GapScope, gapReport, isHeardOf, type SeqGap } from './seq-gaps.ts';
import {
  isLocalTarget,
  missingTableMessage,
  READ_OPTIONS,
  readingLine,
  resolveTableTarget,
  type TableClients,
  type TableTarget,
} from './table-target.ts';
import { describeFailure } from './tool-failure.ts';

/** What `records --help` prints. */
export const USAGE = `usage: npm run -s records -- <command> [options]
  conversation USER_A USER_B   a one-to-one conversation, in send order
  group GROUP_ID               a group's messages, in send order
  sent USER                    what USER sent, in send order
  received USER                what USER received in one-to-one chats, in send order
  message SERVER_MSG_ID        one message
  seq CONVERSATION_ID SEQ      the message with that seq, its revoke, and any other message
                               that claimed the seq (a revoke of a message never received
                               shows alone)
  gaps CONVERSATION_ID         the seqs that nothing accounted for, from 1 to the highest
                               received, and whether OpenIM still has them
  conflicts --from DATE        messages that claimed a seq another message already held
  export --from DATE [--to DATE] every message sent in those days (UTC), as JSON Lines
options: --from DATE --to DATE (YYYY-MM-DD, UTC, both included; --from alone: to today,
         --to alone: up to that day), --json,
         --stack NAME | --table NAME --seq-table NAME [--region R]
         (default: the local receiver's engine: DYNAMODB_PORT and TABLE_NAME when set, else
         the receiver running on DATA_DIR (./.data by default), else port 8000)
table columns: seq is - until OpenIM's save-DB callback or a reconcile brings it; revoked is
who revoked the message and when; content shows (redacted …) once the content was removed;
"recovered" marks a message stored from OpenIM's API by a reconcile, since no callback brought
it.

gaps: seqs come from OpenIM's afterMsgSaveDB callback and from npm run reconcile, which asks
OpenIM's own API. Callbacks alone leave gaps that are not losses: OpenIM numbers more than the
messages it sends there (notifications such as a group's member and info changes, the revoke
notice, and the content types filtered by deniedTypes take seqs too), so without a reconcile a
gap means "not received", not "lost". A reconcile recovers the chat messages OpenIM still has
(it pulls them with POST /msg/pull_msg_by_seq) and accounts for notifications and deleted
slots; the seqs left are those OpenIM itself no longer has (cleared history, retention), and
each gap says whether a reconcile asked for it yet.`;

/** A time in ms as ISO 8601 UTC, or `''` when there is none. */
function utc(ms: unknown): string {
  return typeof ms === 'number' ? new Date(ms).toISOString() : '';
}

/** The readable content of a message: the text of a text message, its raw content, or a mark. */
function preview(message: StoredMessage): string {
  // Redaction removes the content and says when (see docs/finding-and-counting.md).
  if (message.content === undefined && message.redactedAt !== undefined) {
    return `(redacted ${utc(message.redactedAt)})`;
  }
  const content = String(message.content ?? '');
  try {
    const parsed = JSON.parse(content) as { content?: unknown };
    if (typeof parsed?.content === 'string') return parsed.content;
  } catch {
    // Not JSON: show it as it is.
  }
  return content;
}

/** Who revoked a message and when, or `''`. */
function revoked(message: StoredMessage): string {
  if (message.revokedBy === undefined) return '';
  return `${String(message.revokedBy)} ${utc(message.revokedAt)}`.trim();
}

/** How a message came to be stored, where that is not a callback: a reconcile's recovery. */
function origin(message: StoredMessage): string {
  return message.recoveredAt === undefined ? '' : `recovered ${utc(message.recoveredAt)}`;
}

/**
 * Prints items as they arrive: JSON Lines, or a table of `columns` (one `row` per item) once all
 * are read. Resolves with how many there were.
 */
async function printAll<T>(
  items: AsyncIterable<T> | Iterable<T>,
  json: boolean,
  stdout: Output,
  columns: readonly string[],
  row: (item: T) => unknown[],
): Promise<number> {
  let count = 0;
  const rows: unknown[][] = [];
  for await (const item of items) {
    count += 1;
    if (json) stdout.write(`${JSON.stringify(item)}\n`);
    else rows.push(row(item));
  }
  if (!json) stdout.write(formatTable(columns, rows));
  return count;
}

/** Prints messages: JSON Lines, or a table once all are read. */
function print(
  messages: AsyncIterable<StoredMessage> | Iterable<StoredMessage>,
  json: boolean,
  stdout: Output,
): Promise<number> {
  return printAll(
    messages,
    json,
    stdout,
    ['sent (UTC)', 'from', 'to', 'seq', 'type', 'serverMsgID', 'content', 'revoked', 'note'],
    (message) => [
      utc(message.sentAt),
      message.sendID,
      message.recvID ?? message.groupID,
      // 0 is the after-send callbacks' placeholder, not a seq.
      message.seq ? message.seq : '-',
      message.contentType,
      message.serverMsgID,
      preview(message),
      revoked(message),
      origin(message),
    ],
  );
}

/** Every message of the days, with a progress line per day on `stderr`. */
async function* exportDays(
  target: Parameters<typeof dayMessages>[0],
  days: string[],
  stderr: Output,
): AsyncGenerator<StoredMessage> {
  for (const [index, day] of days.entries()) {
    let count = 0;
    for await (const message of dayMessages(target, day)) {
      count += 1;
      yield message;
    }
    stderr.write(`  ${day}: ${count} message(s)  [day ${index + 1} of ${days.length}]\n`);
  }
}

/** A seq as a whole number, or an error naming it. */
function seqOf(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new Error(`SEQ must be a whole number, not "${text}"`);
  return Number(text);
}

/** What a gap report covered, on one line: where it started and stopped, and what asked OpenIM. */
function describeGapScope(scope: GapScope, gaps: number): string {
  if (scope.toSeq === 0) {
    return (
      `No seq of ${scope.conversationID} is known yet, so there is nothing to check: its ` +
      'messages came from after-send callbacks (seq 0). npm run reconcile asks OpenIM for the ' +
      'real seqs; see --help for what a gap means'
    );
  }
  const parts = [
    `${gaps} gap(s) in ${scope.conversationID}, seqs ${scope.fromSeq} to ${scope.toSeq}`,
  ];
  if (scope.expiredBelow) {
    parts.push('older seqs expired with the TTL (ttlDays) and are not checked');
  }
  parts.push(
    scope.reconciledThrough === undefined
      ? 'no reconcile has asked OpenIM yet (npm run reconcile)'
      : `a reconcile asked OpenIM through seq ${scope.reconciledThrough}` +
          (scope.reconciledAt === undefined
            ? ''
            : ` on ${new Date(scope.reconciledAt).toISOString().slice(0, 16)}Z`),
  );
  return `${parts.join('; ')}; see --help for what a gap means`;
}

/**
 * A conversation the archive has nothing of, said so, with the conversation it does have when the
 * two user IDs were given in the other order (OpenIM puts the smaller first, byte by byte).
 */
async function neverHeardOf(target: TableTarget, conversationID: string): Promise<string> {
  const base = `The archive has nothing of ${conversationID}: no message, no seq, no reconcile.`;
  if (!/^(si|sn|sg|g)_/.test(conversationID)) {
    return `${base} OpenIM names conversations si_<user>_<user> (one-to-one) and sg_<groupID> (group).`;
  }
  const single = /^(si|sn)_(.+)$/.exec(conversationID);
  if (!single) return base;
  // IDs may hold "_" themselves, so every split is tried.
  const parts = (single[2] as string).split('_');
  for (let i = 1; i < parts.length; i += 1) {
    const ordered = singleConversationId(
      single[1] === 'sn' ? 4 : 1,
      parts.slice(0, i).join('_'),
      parts.slice(i).join('_'),
    );
    if (ordered !== conversationID && (await isHeardOf(target, ordered))) {
      return `${base} OpenIM puts the smaller user ID first: did you mean ${ordered}?`;
    }
  }
  return `${base} OpenIM puts the smaller user ID first (byte order) in si_<a>_<b>.`;
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'dynamodb:Query, dynamodb:GetItem and dynamodb:BatchGetItem on the tables and the indexes ' +
  '(with --stack, also cloudformation:DescribeStacks on the stack)';

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions<TableClients> = {},
): Promise<number> {
  const { stdout = process.stdout, stderr = process.stderr, env = process.env } = options;
  const parsed = commandLine(
    'records',
    USAGE,
    () => parseCommandLine(argv),
    { stdout, stderr },
    ({ values, positionals }) => values.help === true || positionals[0] === undefined,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [command, first, second] = positionals;
  const context = {
    region: values.region,
    permissions: PERMISSIONS,
    localEngine: isLocalTarget(values),
  };
  let target: TableTarget | undefined;
  try {
    const { from, to } = parseDays(values);
    const window: TimeWindow = {
      from: from === undefined ? undefined : Date.parse(`${from}T00:00:00Z`),
      to: to === undefined ? undefined : Date.parse(`${to}T23:59:59.999Z`),
    };
    const json = wantsJson(values.json, stdout);
    const need = (value: string | undefined, what: string) => {
      if (!value) throw new Error(`${command} needs ${what}\n${USAGE}`);
      return value;
    };
    target = await resolveTableTarget(values, {
      env,
      ...(options.clients ? { clients: options.clients } : {}),
      context,
    });
    stderr.write(`${readingLine(target)}\n`);
    let found: number;
    switch (command) {
      case 'conversation':
        found = await print(
          conversationMessages(
            target,
            need(first, 'two user IDs'),
            need(second, 'two user IDs'),
            window,
          ),
          json,
          stdout,
        );
        break;
      case 'group':
        found = await print(groupMessages(target, need(first, 'a group ID'), window), json, stdout);
        break;
      case 'sent':
        found = await print(sentMessages(target, need(first, 'a user ID'), window), json, stdout);
        break;
      case 'received':
        found = await print(
          receivedMessages(target, need(first, 'a user ID'), window),
          json,
          stdout,
        );
        break;
      case 'message': {
        const message = await findMessage(target, need(first, 'a serverMsgID'));
        found = await print(message ? [message] : [], json, stdout);
        break;
      }
      case 'seq': {
        const conversationID = need(first, 'a conversation ID and a seq');
        const { entry, message } = await findBySeq(
          target,
          conversationID,
          seqOf(need(second, 'a conversation ID and a seq')),
        );
        const conflicting = [...(entry?.conflictingMsgIDs ?? [])].sort();
        if (json && entry) {
          stdout.write(
            `${JSON.stringify({
              ...entry,
              ...(conflicting.length > 0 ? { conflictingMsgIDs: conflicting } : {}),
              message,
            })}\n`,
          );
        } else if (entry) {
          await printAll(
            [entry],
            false,
            stdout,
            ['conversationID', 'seq', 'serverMsgID', 'revokedBy', 'revoked at (UTC)', 'in OpenIM'],
            (e) => [
              e.conversationID,
              e.seq,
              e.serverMsgID ?? '(never received)',
              e.revokedBy ?? '',
              e.revokedAt === undefined ? '' : new Date(e.revokedAt).toISOString(),
              e.openimKind ?? '',
            ],
          );
          if (message) await print([message], false, stdout);
          if (conflicting.length > 0) {
            stdout.write(
              `\nSeq conflict: ${conflicting.join(', ')} also claimed this seq; it stays with ` +
                `${entry.serverMsgID}. See docs/operations.md, "Seq conflicts".\n`,
            );
          }
        }
        found = message ? 1 : 0;
        break;
      }
      case 'gaps': {
        const conversationID = need(first, 'a conversation ID');
        const { scope, gaps } = await gapReport(target, conversationID);
        if (!scope.heardOf) {
          stderr.write(`${await neverHeardOf(target, conversationID)}\n`);
          return 0;
        }
        await printAll(
          gaps,
          json,
          stdout,
          ['conversationID', 'fromSeq', 'toSeq', 'seqs', 'OpenIM'],
          (gap: SeqGap) => [
            gap.conversationID,
            gap.fromSeq,
            gap.toSeq,
            gap.toSeq - gap.fromSeq + 1,
            gap.openim === 'not-asked' ? 'not asked yet (npm run reconcile)' : 'no longer has them',
          ],
        );
        stderr.write(`${describeGapScope(scope, gaps.length)}\n`);
        return 0;
      }
      case 'conflicts': {
        if (!from) throw new Error('conflicts needs --from DATE (and --to DATE, default today)');
        const conflictTarget = target;
        const days = daysBetween(from, to ?? today());
        found = await printAll(
          (async function* () {
            for (const day of days) yield* dayConflicts(conflictTarget, day);
          })(),
          json,
          stdout,
          ['day', 'conversationID', 'seq', 'held by', 'claimed by'],
          (c) => [c.day, c.conversationID, c.seq, c.linkedMsgID, c.serverMsgID],
        );
        stderr.write(`${found} seq conflict(s); see docs/operations.md, "Seq conflicts"\n`);
        return 0;
      }
      case 'export': {
        if (!from) throw new Error('export needs --from DATE (and --to DATE, or it ends today)');
        const last = to ?? today();
        const days = daysBetween(from, last);
        stderr.write(`Exporting ${days.length} day(s), ${from} to ${last} (UTC)\n`);
        found = await print(exportDays(target, days, stderr), true, stdout);
        break;
      }
      default:
        throw new Error(`unknown command "${command}"\n${USAGE}`);
    }
    stderr.write(`${found} message(s)\n`);
    return 0;
  } catch (error) {
    const missing = target && missingTableMessage(error, target);
    stderr.write(`records: ${missing ?? describeFailure(error, context)}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

/** The command line, parsed; throws on an unknown option. */
function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: READ_OPTIONS,
  });
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
