/**
 * `npm run stats -- --from DATE --to DATE`: messages, distinct senders, receivers and
 * conversations per UTC day, locally by default or in AWS with `--stack` or `--table`. Progress
 * goes to stderr; a table on a terminal, JSON Lines when piped or with `--json`.
 */
import { parseArgs } from 'node:util';
import { formatTable, parseDay, wantsJson } from './cli-output.ts';
import { dailyStats } from './message-stats.ts';
import { describeFailure, resolveTableTarget, TARGET_OPTIONS } from './table-target.ts';

const { values } = parseArgs({
  options: {
    ...TARGET_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  },
});

try {
  const today = new Date().toISOString().slice(0, 10);
  const from = parseDay(values.from, 'from') ?? today;
  const to = parseDay(values.to, 'to') ?? from;
  const target = await resolveTableTarget(values);
  const json = wantsJson(values.json);
  process.stderr.write(
    `Counting ${from} to ${to} (UTC) in ${target.where}, table ${target.tableName}\n`,
  );
  const days = await dailyStats(target, from, to, (day, index, total) => {
    process.stderr.write(
      `  ${day.day}: ${day.messages} message(s)  [day ${index + 1} of ${total}]\n`,
    );
    if (json) process.stdout.write(`${JSON.stringify(day)}\n`);
  });
  if (!json) {
    process.stdout.write(
      formatTable(
        ['day', 'messages', 'senders', 'receivers', 'conversations'],
        days.map((d) => [d.day, d.messages, d.senders, d.receivers, d.conversations]),
      ),
    );
  }
} catch (error) {
  process.stderr.write(`stats: ${describeFailure(error)}\n`);
  process.exitCode = 1;
}
