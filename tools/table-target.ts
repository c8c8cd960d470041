/**
 * Which table a tool reads or writes: the local engine by default, a deployed stack's table with
 * `--stack NAME` (found from its outputs), or any table with `--table NAME`, in AWS with your own
 * credentials.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { localTableNames } from '../lambda/table-schema.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';

/** The options every table tool takes. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  table: { type: 'string' },
  'seq-table': { type: 'string' },
  region: { type: 'string' },
} as const;

/** A table and a client for it. */
export interface TableTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The seqs table, when known. */
  readonly seqTableName: string | undefined;
  /** Where the table is, for progress lines. */
  readonly where: string;
}

/** A deployed stack's outputs, by name; throws naming the stack if it does not exist. */
export async function readStackOutputs(
  client: CloudFormationClient,
  stackName: string,
): Promise<Record<string, string>> {
  const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  return Object.fromEntries(
    (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']),
  );
}

/** Reads one output, or throws with the fix. */
export function requiredOutput(
  outputs: Record<string, string>,
  name: string,
  stack: string,
): string {
  const value = outputs[name];
  if (!value)
    throw new Error(`stack ${stack} has no ${name} output; deploy this version of it first`);
  return value;
}

/** Resolves the table from `--stack`, `--table` or the local settings (`DYNAMODB_PORT`, `TABLE_NAME`). */
export async function resolveTableTarget(options: {
  readonly stack?: string | undefined;
  readonly table?: string | undefined;
  readonly 'seq-table'?: string | undefined;
  readonly region?: string | undefined;
}): Promise<TableTarget> {
  const aws = options.region ? { region: options.region } : {};
  if (options.stack) {
    const outputs = await readStackOutputs(new CloudFormationClient(aws), options.stack);
    const tableName = requiredOutput(outputs, STACK_OUTPUTS.tableName, options.stack);
    return {
      client: new DynamoDBClient(aws),
      tableName,
      seqTableName: outputs[STACK_OUTPUTS.seqTableName],
      where: `stack ${options.stack}`,
    };
  }
  if (options.table) {
    return {
      client: new DynamoDBClient(aws),
      tableName: options.table,
      seqTableName: options['seq-table'],
      where: 'AWS',
    };
  }
  const endpoint = `http://127.0.0.1:${process.env.DYNAMODB_PORT || '8000'}`;
  const tables = localTableNames(process.env.TABLE_NAME || 'openim-messages');
  return {
    client: new DynamoDBClient({ ...LOCAL_AWS, endpoint }),
    tableName: tables.messages,
    seqTableName: tables.seqs,
    where: endpoint,
  };
}

/** A one-line reason for a failed tool run, with the fix for the common local case. */
export function describeFailure(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
    return 'the local engine is not running: start the receiver (npm start) first';
  }
  return error instanceof Error ? error.message : String(error);
}
