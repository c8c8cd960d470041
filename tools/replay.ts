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
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoMessageStore } from '../lambda/message-store.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';
import { type FallbackSource, queueSource, replay, spoolSource } from './fallback-replay.ts';

/** The stack outputs the replay needs, or an error naming the missing one. */
async function stackTargets(stackName: string, region: string | undefined) {
  const client = new CloudFormationClient(region ? { region } : {});
  const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries(
    (Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
  const { FallbackQueueUrl: queueUrl, TableName: tableName } = outputs;
  if (!queueUrl || !tableName) {
    throw new Error(
      `stack ${stackName} has no FallbackQueueUrl or TableName output; deploy it first`,
    );
  }
  return { queueUrl, tableName };
}

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    region: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

try {
  let source: FallbackSource;
  let dynamo: DynamoDBClient;
  let tableName: string;
  if (values.stack) {
    const targets = await stackTargets(values.stack, values.region);
    const clientConfig = values.region ? { region: values.region } : {};
    source = queueSource(new SQSClient(clientConfig), targets.queueUrl);
    dynamo = new DynamoDBClient(clientConfig);
    tableName = targets.tableName;
  } else {
    const dataDir = resolve(values['data-dir'] ?? (process.env.DATA_DIR || '.data'));
    source = spoolSource(join(dataDir, 'fallback'));
    const endpoint = `http://127.0.0.1:${process.env.DYNAMODB_PORT || '8000'}`;
    dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    tableName = process.env.TABLE_NAME || 'openim-messages';
  }

  const total = await source.count();
  process.stderr.write(
    `Replaying ${total ?? 'the'} message(s) from ${source.name} into ${tableName}\n`,
  );
  const report = await replay(
    source,
    createDynamoMessageStore({ client: dynamo, tableName }),
    (r) => {
      const done = r.stored + r.alreadyStored;
      process.stderr.write(`\r  ${done}${total === undefined ? '' : `/${total}`} replayed`);
    },
  );
  process.stderr.write(
    `\nDone: ${report.stored} stored, ${report.alreadyStored} were already in the table.\n`,
  );
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'ECONNREFUSED'
      ? 'the local engine is not running: start the receiver (npm start) first'
      : (error as Error).message;
  process.stderr.write(
    `\nReplay stopped: ${hint}\nWhat was not replayed is still in the fallback.\n`,
  );
  process.exitCode = 1;
}
