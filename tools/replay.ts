/**
 * `npm run replay`: stores what the fallback holds. Locally (the default) it drains
 * `$DATA_DIR/fallback` into the running receiver's engine; with `--stack NAME` it drains the
 * deployed stack's fallback queue into its table, with your own AWS credentials.
 *
 *   npm run replay                          # local: needs `npm start` running
 *   npm run replay -- --stack OpenImCallbackReceiver [--region eu-west-1]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { createDynamoArchiveStore } from '../lambda/archive-store.ts';
import { type FallbackSource, queueSource, replay, spoolSource } from './fallback-replay.ts';
import {
  describeFailure,
  readStackOutputs,
  requiredOutput,
  resolveTableTarget,
  TARGET_OPTIONS,
} from './table-target.ts';

const { values } = parseArgs({
  options: { ...TARGET_OPTIONS, 'data-dir': { type: 'string' } },
});

try {
  let source: FallbackSource;
  if (values.stack) {
    const aws = values.region ? { region: values.region } : {};
    const outputs = await readStackOutputs(new CloudFormationClient(aws), values.stack);
    const queueUrl = requiredOutput(outputs, STACK_OUTPUTS.fallbackQueueUrl, values.stack);
    source = queueSource(new SQSClient(aws), queueUrl);
  } else {
    const dataDir = resolve(values['data-dir'] ?? (process.env.DATA_DIR || '.data'));
    source = spoolSource(join(dataDir, 'fallback'));
  }
  const { client, tableName, seqTableName } = await resolveTableTarget(values);
  if (!seqTableName) throw new Error('the seqs table is unknown: add --seq-table NAME');

  const total = await source.count();
  process.stderr.write(
    `Replaying ${total ?? 'the'} message(s) from ${source.name} into ${tableName}\n`,
  );
  const archive = createDynamoArchiveStore({
    client,
    tables: { messages: tableName, seqs: seqTableName },
  });
  const report = await replay(source, archive, (r) => {
    const done = r.stored + r.alreadyStored;
    process.stderr.write(`\r  ${done}${total === undefined ? '' : `/${total}`} replayed`);
  });
  process.stderr.write(
    `\nDone: ${report.stored} stored, ${report.alreadyStored} were already in the table.\n`,
  );
} catch (error) {
  process.stderr.write(
    `\nReplay stopped: ${describeFailure(error)}\nWhat was not replayed is still in the fallback.\n`,
  );
  process.exitCode = 1;
}
