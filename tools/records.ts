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
import {
  formatTable,
  type MainOptions,
  type Output,
  parseDay,
  today,
  wantsJson,
} from './cli-output.ts';
import {
  conversationMessages,
  dayMessages,
  daysBetween,
  findBySeq,
  findMessage,
  groupMessages,
  receivedMessages,
  type StoredMessage,
  sentMessages,
  seqGaps,
  type TimeWindow,
} from './message-queries.ts';
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
  seq CONVERSATION_ID SEQ      the message with that seq, and its revoke if there was one
                               (a revoke of a message never received shows alone)
  gaps CONVERSATION_ID         the seq ranges never received, from 1 to the highest received
  export --from DATE [--to DATE] every message sent in those days (UTC), as JSON Lines
options: --from DATE --to DATE (YYYY-MM-DD, UTC, both included; --from alone: to today,
         --to alone: up to that day), --json,
         --stack NAME | --table NAME --seq-table NAME [--region R]
         (default: the local receiver's engine: DYNAMODB_PORT and TABLE_NAME when set, else
         the receiver running on DATA_DIR (./.data by default), else port 8000)
table columns: seq is - until OpenIM's save-DB callback brings it; revoked is who revoked the
message and when; content shows (redacted …) once the content was removed; "recovered" marks a
message stored from OpenIM's API by a reconcile, since no callback brought it.

gaps: seqs come only from OpenIM's afterMsgSaveDB callback, and OpenIM numbers more than the
messages it sends there: notifications (a group's member and info changes, the revoke notice
itself) and the content types filtered by deniedTypes take seqs too. So a gap means "not
received", not "lost". To check one, ask OpenIM for those seqs of the conversation
(POST /msg/pull_msg_by_seq with an admin token, the conversationID and the range in seqRanges):
if they are messages this receiver should have, they were lost on the way.`;

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
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    stderr.write(`records: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, first, second] = positionals;
  if (values.help || command === undefined) {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const context = {
    region: values.region,
    permissions: PERMISSIONS,
    localEngine: isLocalTarget(values),
  };
  let target: TableTarget | undefined;
  try {
    const from = parseDay(values.from, 'from');
    const to = parseDay(values.to, 'to');
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
        if (json && entry) stdout.write(`${JSON.stringify({ ...entry, message })}\n`);
        else if (entry) {
          await printAll(
            [entry],
            false,
            stdout,
            ['conversationID', 'seq', 'serverMsgID', 'revokedBy', 'revoked at (UTC)'],
            (e) => [
              e.conversationID,
              e.seq,
              e.serverMsgID ?? '(never received)',
              e.revokedBy ?? '',
              e.revokedAt === undefined ? '' : new Date(e.revokedAt).toISOString(),
            ],
          );
          if (message) await print([message], false, stdout);
        }
        found = message ? 1 : 0;
        break;
      }
      case 'gaps': {
        const conversationID = need(first, 'a conversation ID');
        const gaps = await printAll(
          seqGaps(target, conversationID),
          json,
          stdout,
          ['conversationID', 'fromSeq', 'toSeq', 'seqs not received'],
          (gap) => [gap.conversationID, gap.fromSeq, gap.toSeq, gap.toSeq - gap.fromSeq + 1],
        );
        stderr.write(`${gaps} gap(s) in ${conversationID}; see --help for what a gap means\n`);
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
