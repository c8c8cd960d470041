/**
 * `npm run -s stats -- [--from DATE] [--to DATE]`: one-to-one and group messages, distinct
 * senders, receivers, conversations per UTC day (the last 7 days unless told), locally by default
 * or in AWS with `--stack` or `--table`. Where it reads and progress go to stderr; a table on a
 * terminal, JSON Lines when piped or with `--json`.
 */
import { parseArgs } from 'node:util';
import {
  commandLine,
  formatTable,
  type MainOptions,
  parseDays,
  today,
  wantsJson,
} from './cli-output.ts';
import { daysBetween } from './message-queries.ts';
import { dailyStats } from './message-stats.ts';
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

/** How many days `stats` counts when no --from is given. */
export const DEFAULT_DAYS = 7;

/** What `stats --help` prints. */
export const USAGE = `usage: npm run -s stats -- [--from DATE] [--to DATE] [--json]
  counts per UTC day (DATE: YYYY-MM-DD, both included). No dates: the last ${DEFAULT_DAYS} days, today
  included; --from alone: from that day to today; --to alone: the ${DEFAULT_DAYS} days up to it:
    messages        one-to-one messages       groupMessages   group messages
    senders         users who sent either     receivers       users who received one-to-one
    conversations   one-to-one conversations  activeGroups    groups with a message
    seqConflicts    messages that claimed a seq another message held (records conflicts lists them)
options: --stack NAME | --table NAME [--seq-table NAME] [--region R] (default: the local receiver's engine:
         DYNAMODB_PORT and TABLE_NAME when set, else the receiver running on DATA_DIR)`;

/** The days to count: `--from` to `--to`, each defaulting as the usage says. */
export function statsDays(
  from: string | undefined,
  to: string | undefined,
  now: number = Date.now(),
): { from: string; to: string; days: number } {
  const last = to ?? today(now);
  const first = from ?? today(Date.parse(`${last}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000);
  const days = daysBetween(first, last).length;
  if (days === 0) {
    throw new Error(`--from ${first} is after ${to ? `--to ${last}` : `today (${last})`}`);
  }
  return { from: first, to: last, days };
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'dynamodb:Query on the table and its byDay index (with --stack, also ' +
  'cloudformation:DescribeStacks on the stack)';

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions<TableClients> = {},
): Promise<number> {
  const { stdout = process.stdout, stderr = process.stderr, env = process.env } = options;
  const parsed = commandLine('stats', USAGE, () => parseCommandLine(argv), { stdout, stderr });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const context = {
    region: values.region,
    permissions: PERMISSIONS,
    localEngine: isLocalTarget(values),
  };
  let target: TableTarget | undefined;
  try {
    const asked = parseDays(values);
    const { from, to, days: dayCount } = statsDays(asked.from, asked.to);
    target = await resolveTableTarget(values, {
      env,
      ...(options.clients ? { clients: options.clients } : {}),
      context,
    });
    const json = wantsJson(values.json, stdout);
    stderr.write(`${readingLine(target)}\n`);
    const chosen =
      asked.from === undefined
        ? `the last ${dayCount} days${asked.to === undefined ? '' : ` up to ${to}`}; --from and --to choose others`
        : `${dayCount} day(s)`;
    stderr.write(`Counting ${from} to ${to} (UTC): ${chosen}\n`);
    const days = await dailyStats(target, from, to, (day, index, total) => {
      stderr.write(
        `  ${day.day}: ${day.messages} one-to-one and ${day.groupMessages} group message(s)  [day ${index + 1} of ${total}]\n`,
      );
      if (json) stdout.write(`${JSON.stringify(day)}\n`);
    });
    if (!json) {
      stdout.write(
        formatTable(
          [
            'day',
            'messages',
            'group messages',
            'senders',
            'receivers',
            'conversations',
            'active groups',
            'seq conflicts',
          ],
          days.map((d) => [
            d.day,
            d.messages,
            d.groupMessages,
            d.senders,
            d.receivers,
            d.conversations,
            d.activeGroups,
            d.seqConflicts ?? '(no --seq-table)',
          ]),
        ),
      );
    }
    return 0;
  } catch (error) {
    const missing = target && missingTableMessage(error, target);
    stderr.write(`stats: ${missing ?? describeFailure(error, context)}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

/** The command line, parsed; throws on an unknown option or a positional argument. */
function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: READ_OPTIONS,
  });
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
