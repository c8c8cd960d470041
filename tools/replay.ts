/**
 * `npm run replay`: stores what the fallback holds. Locally (the default) it drains
 * `$DATA_DIR/fallback` into the running receiver's engine. In AWS it drains the fallback queue into
 * the tables, with your own credentials: `--stack NAME` finds them from the stack's outputs, and
 * `--queue-url URL --table NAME [--seq-table NAME]` needs no stack, for after `cdk destroy` (which
 * keeps them).
 *
 *   npm run replay                          # local: needs `npm start` running
 *   npm run replay -- --stack OpenImCallbackReceiver [--region eu-west-1]
 *   npm run replay -- --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/NAME --table NAME
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { type ArchiveStore, createDynamoArchiveStore } from '../lambda/archive-store.ts';
import { localDataDir, spoolDirOf } from '../local/local-settings.ts';
import { commandLine, type MainOptions } from './cli-output.ts';
import { type FallbackSource, queueSource, replay, spoolSource } from './fallback-replay.ts';
import { readStackOutputs, requiredOutputs } from './stack-reader.ts';
import {
  awsTableClients,
  missingTableMessage,
  resolveTableTarget,
  TARGET_OPTIONS,
  type TableClients,
  type TableTarget,
} from './table-target.ts';
import { describeFailure, StackNotFoundError, ToolError } from './tool-failure.ts';

/** What `replay --help` prints. */
export const USAGE = `usage: npm run replay -- [options]
  (no options)                     the local spool ($DATA_DIR/fallback) into the running receiver
  --data-dir DIR                   the local spool of another data folder
  --stack NAME                     the stack's fallback queue into its tables (outputs
                                   FallbackQueueUrl, TableName and SeqTableName)
  --queue-url URL --table NAME     a fallback queue into the messages table, without the stack
                                   (after cdk destroy, which keeps both)
  --seq-table NAME                 with --queue-url: the seqs table (output SeqTableName), which
                                   save-DB and revoke records need; one-to-one and group
                                   after-send records do not
  --region R                       where they are (default: the queue URL's region, else
                                   AWS_REGION or your profile's)`;

/** The AWS clients a replay uses. */
export interface ReplayClients extends TableClients {
  readonly sqs: SQSClient;
}

/** The real clients, in `region` or the SDK's default one. */
export function awsReplayClients(region: string | undefined): ReplayClients {
  return { ...awsTableClients(region), sqs: new SQSClient(region ? { region } : {}) };
}

/** The region an SQS queue URL names (`https://sqs.eu-west-1.amazonaws.com/…`), if any. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  const match =
    /^https:\/\/(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?\//.exec(
      queueUrl,
    );
  return match?.[1] ?? match?.[2];
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on the queue, ' +
  'dynamodb:PutItem and dynamodb:UpdateItem on the messages table and dynamodb:UpdateItem on the ' +
  'seqs table (with --stack, also cloudformation:DescribeStacks on the stack)';

/**
 * The store, or, with no seqs table named, one that stops at the first record that needs it,
 * leaving that record and the rest in the fallback.
 */
function withoutSeqs(store: ArchiveStore, seqTableName: string | undefined): ArchiveStore {
  if (seqTableName) return store;
  const needsSeqs = (): never => {
    throw new ToolError(
      'A save-DB or revoke record needs the seqs table. Fix: add --seq-table NAME (the ' +
        "stack's SeqTableName output).",
    );
  };
  return {
    insertMessage: store.insertMessage,
    saveMessage: needsSeqs,
    recordRevoke: needsSeqs,
    recoverMessage: needsSeqs,
    linkMessage: needsSeqs,
    recordSeqKind: needsSeqs,
  };
}

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions<ReplayClients> = {},
): Promise<number> {
  const {
    stdout = process.stdout,
    stderr = process.stderr,
    env = process.env,
    clients = awsReplayClients,
  } = options;
  const parsed = commandLine('replay', USAGE, () => parseCommandLine(argv), { stdout, stderr });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const { stack, table } = values;
  let queueUrl = values['queue-url'];
  const region = values.region ?? (queueUrl ? regionOfQueueUrl(queueUrl) : undefined);
  const context = {
    region,
    permissions: PERMISSIONS,
    localEngine: !stack && !table && !queueUrl,
  };
  let target: TableTarget | undefined;
  try {
    let tableName = table;
    let seqTableName = values['seq-table'];
    if (stack) {
      const outputs = await readStackOutputs(clients(region).cloudFormation, stack, context).catch(
        (error: unknown) => {
          if (!(error instanceof StackNotFoundError)) throw error;
          throw new StackNotFoundError(
            `${error.message} If it was destroyed, its queue and tables were kept: ` +
              'npm run replay -- --queue-url URL --table NAME --seq-table NAME (its last ' +
              'FallbackQueueUrl, TableName and SeqTableName outputs).',
          );
        },
      );
      const names = [
        ...(queueUrl ? [] : [STACK_OUTPUTS.fallbackQueueUrl]),
        ...(tableName ? [] : [STACK_OUTPUTS.tableName]),
        ...(seqTableName ? [] : [STACK_OUTPUTS.seqTableName]),
      ];
      requiredOutputs(outputs, names, stack);
      queueUrl ??= outputs[STACK_OUTPUTS.fallbackQueueUrl];
      tableName ??= outputs[STACK_OUTPUTS.tableName];
      seqTableName ??= outputs[STACK_OUTPUTS.seqTableName];
    } else if (queueUrl && !tableName) {
      throw new ToolError(
        '--queue-url needs the table its records go to. Fix: add --table NAME (the ' +
          "stack's TableName output; cdk destroy keeps the table), and --seq-table NAME for " +
          'save-DB and revoke records.',
      );
    }

    let source: FallbackSource;
    if (queueUrl) {
      source = queueSource(clients(region).sqs, queueUrl);
    } else {
      const dataDir = values['data-dir'] ? resolve(values['data-dir']) : localDataDir(env);
      source = spoolSource(spoolDirOf(dataDir));
    }
    target = await resolveTableTarget(
      { table: tableName, 'seq-table': seqTableName, region },
      { env, clients, context },
    );

    const total = await source.count();
    stderr.write(
      `Replaying ${total ?? 'the'} message(s) from ${source.name} into ${target.tableName}` +
        ` (${target.local ? `the local engine at ${target.where}` : target.where})\n`,
    );
    const store = withoutSeqs(
      createDynamoArchiveStore({
        client: target.client,
        tables: { messages: target.tableName, seqs: target.seqTableName ?? '' },
      }),
      target.seqTableName,
    );
    const report = await replay(source, store, (r) => {
      const done = r.stored + r.alreadyStored + r.skipped.length;
      stderr.write(`\r  ${done}${total === undefined ? '' : `/${total}`} replayed`);
    });
    stderr.write(
      `\nDone: ${report.stored} stored, ${report.alreadyStored} were already in the table.\n`,
    );
    if (report.skipped.length === 0) return 0;
    stderr.write(
      `${report.skipped.length} record(s) could not be stored and were left in ` +
        `${source.failedName}:\n${report.skipped
          .map(({ identity, reason }) => `  ${identity}: ${reason}\n`)
          .join('')}`,
    );
    return 1;
  } catch (error) {
    stderr.write(
      `\nReplay stopped: ${(target && missingTableMessage(error, target)) ?? describeFailure(error, context)}\n` +
        'What was not replayed is still in the fallback.\n',
    );
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
    options: {
      ...TARGET_OPTIONS,
      'queue-url': { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
