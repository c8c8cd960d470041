/**
 * `npm run replay`: stores what the fallback holds. Locally (the default) it drains
 * `$DATA_DIR/fallback` into the running receiver's engine; with `--stack NAME` it drains the
 * deployed stack's fallback queue into its table, with your own AWS credentials.
 *
 *   npm run replay                          # local: needs `npm start` running
 *   npm run replay -- --stack OpenImCallbackReceiver [--region eu-west-1]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { createDynamoMessageStore } from '../lambda/message-store.ts';
import { localDataDir, spoolDirOf } from '../local/local-settings.ts';
import type { MainOptions } from './cli-output.ts';
import { type FallbackSource, queueSource, replay, spoolSource } from './fallback-replay.ts';
import { readStackOutputs, requiredOutputs } from './stack-reader.ts';
import {
  awsTableClients,
  resolveTableTarget,
  TARGET_OPTIONS,
  type TableClients,
  type TableTarget,
} from './table-target.ts';
import { describeFailure } from './tool-failure.ts';

/** What `replay --help` prints. */
export const USAGE = `usage: npm run replay -- [options]
  (no options)                     the local spool ($DATA_DIR/fallback) into the running receiver
  --data-dir DIR                   the local spool of another data folder
  --stack NAME                     the stack's fallback queue into its table (outputs
                                   FallbackQueueUrl and TableName)
  --region R                       where it is (default: AWS_REGION or your profile's)`;

/** The AWS clients a replay uses. */
export interface ReplayClients extends TableClients {
  readonly sqs: SQSClient;
}

/** The real clients, in `region` or the SDK's default one. */
export function awsReplayClients(region: string | undefined): ReplayClients {
  return { ...awsTableClients(region), sqs: new SQSClient(region ? { region } : {}) };
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'sqs:GetQueueAttributes, sqs:ReceiveMessage and sqs:DeleteMessage on the queue and ' +
  'dynamodb:PutItem on the table (with --stack, also cloudformation:DescribeStacks on the stack)';

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
  let values: ReturnType<typeof parseCommandLine>['values'];
  try {
    ({ values } = parseCommandLine(argv));
  } catch (error) {
    stderr.write(`replay: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { stack, table, region } = values;
  let queueUrl: string | undefined;
  const context = { region, permissions: PERMISSIONS, localEngine: !stack && !table };
  let target: TableTarget | undefined;
  try {
    let tableName = table;
    if (stack) {
      const outputs = await readStackOutputs(clients(region).cloudFormation, stack, context);
      const names = [
        STACK_OUTPUTS.fallbackQueueUrl,
        ...(tableName ? [] : [STACK_OUTPUTS.tableName]),
      ];
      requiredOutputs(outputs, names, stack);
      queueUrl = outputs[STACK_OUTPUTS.fallbackQueueUrl];
      tableName ??= outputs[STACK_OUTPUTS.tableName];
    }

    let source: FallbackSource;
    if (queueUrl) {
      source = queueSource(clients(region).sqs, queueUrl);
    } else {
      const dataDir = values['data-dir'] ? resolve(values['data-dir']) : localDataDir(env);
      source = spoolSource(spoolDirOf(dataDir));
    }
    target = await resolveTableTarget({ table: tableName, region }, { env, clients, context });

    const total = await source.count();
    stderr.write(
      `Replaying ${total ?? 'the'} message(s) from ${source.name} into ${target.tableName}\n`,
    );
    const store = createDynamoMessageStore({ client: target.client, tableName: target.tableName });
    const report = await replay(source, store, (r) => {
      const done = r.stored + r.alreadyStored;
      stderr.write(`\r  ${done}${total === undefined ? '' : `/${total}`} replayed`);
    });
    stderr.write(
      `\nDone: ${report.stored} stored, ${report.alreadyStored} were already in the table.\n`,
    );
    return 0;
  } catch (error) {
    stderr.write(
      `\nReplay stopped: ${describeFailure(error, context)}\n` +
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
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
