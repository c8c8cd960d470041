/**
 * `npm run records -- COMMAND …`: finds messages, locally by default or in AWS with `--stack` or
 * `--table`. Queries only; it never scans the table.
 *
 *   records conversation USER_A USER_B [--from DATE] [--to DATE]
 *   records sent USER [--from DATE] [--to DATE]
 *   records received USER [--from DATE] [--to DATE]
 *   records message SERVER_MSG_ID
 *   records export --from DATE --to DATE > messages.jsonl
 *
 * A table on a terminal; JSON Lines (one stored record per line) when piped or with `--json`.
 */
import { parseArgs } from 'node:util';
import { formatTable, parseDay, wantsJson } from './cli-output.ts';
import {
  conversationMessages,
  dayMessages,
  daysBetween,
  findMessage,
  receivedMessages,
  type StoredMessage,
  sentMessages,
  type TimeWindow,
} from './message-queries.ts';
import { describeFailure, resolveTableTarget, TARGET_OPTIONS } from './table-target.ts';

const USAGE = `usage: npm run records -- <command> [options]
  conversation USER_A USER_B   a one-to-one conversation, in send order
  sent USER                    what USER sent, in send order
  received USER                what USER received, in send order
  message SERVER_MSG_ID        one message
  export --from DATE --to DATE every message sent in those days (UTC), as JSON Lines
options: --from DATE --to DATE (YYYY-MM-DD, UTC, both included), --json,
         --stack NAME | --table NAME [--region R] (default: the local receiver's engine)`;

/** The readable content of a message: the text of a text message, or its raw content. */
function preview(message: StoredMessage): string {
  const content = String(message.content ?? '');
  try {
    const parsed = JSON.parse(content) as { content?: unknown };
    if (typeof parsed?.content === 'string') return parsed.content;
  } catch {
    // Not JSON: show it as it is.
  }
  return content;
}

/** Prints messages as they arrive: JSON Lines, or a table once all are read. */
async function print(messages: AsyncIterable<StoredMessage>, json: boolean): Promise<number> {
  let count = 0;
  const rows: unknown[][] = [];
  for await (const message of messages) {
    count += 1;
    if (json) process.stdout.write(`${JSON.stringify(message)}\n`);
    else {
      rows.push([
        new Date(Number(message.sentAt)).toISOString(),
        message.sendID,
        message.recvID,
        message.contentType,
        message.serverMsgID,
        preview(message),
      ]);
    }
  }
  if (!json) {
    process.stdout.write(
      formatTable(['sent (UTC)', 'from', 'to', 'type', 'serverMsgID', 'content'], rows),
    );
  }
  return count;
}

/** Every message of the days, with a progress line per day on stderr. */
async function* exportDays(
  target: Parameters<typeof dayMessages>[0],
  days: string[],
): AsyncGenerator<StoredMessage> {
  for (const [index, day] of days.entries()) {
    let count = 0;
    for await (const message of dayMessages(target, day)) {
      count += 1;
      yield message;
    }
    process.stderr.write(`  ${day}: ${count} message(s)  [day ${index + 1} of ${days.length}]\n`);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...TARGET_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

try {
  const [command, first, second] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const from = parseDay(values.from, 'from');
    const to = parseDay(values.to, 'to');
    const window: TimeWindow = {
      from: from === undefined ? undefined : Date.parse(`${from}T00:00:00Z`),
      to: to === undefined ? undefined : Date.parse(`${to}T23:59:59.999Z`),
    };
    const json = wantsJson(values.json);
    const need = (value: string | undefined, what: string) => {
      if (!value) throw new Error(`${command} needs ${what}\n${USAGE}`);
      return value;
    };
    const target = await resolveTableTarget(values);
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
        );
        break;
      case 'sent':
        found = await print(sentMessages(target, need(first, 'a user ID'), window), json);
        break;
      case 'received':
        found = await print(receivedMessages(target, need(first, 'a user ID'), window), json);
        break;
      case 'message': {
        const message = await findMessage(target, need(first, 'a serverMsgID'));
        found = await print(
          (async function* () {
            if (message) yield message;
          })(),
          json,
        );
        break;
      }
      case 'export': {
        if (!from || !to) throw new Error('export needs --from DATE and --to DATE');
        const days = daysBetween(from, to);
        process.stderr.write(
          `Exporting ${days.length} day(s) from ${target.where}, table ${target.tableName}\n`,
        );
        found = await print(exportDays(target, days), true);
        break;
      }
      default:
        throw new Error(`unknown command "${command}"\n${USAGE}`);
    }
    process.stderr.write(`${found} message(s)\n`);
  }
} catch (error) {
  process.stderr.write(`records: ${describeFailure(error)}\n`);
  process.exitCode = 1;
}
