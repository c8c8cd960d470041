/**
 * Which table a tool reads or writes: the local engine by default, a deployed stack's table with
 * `--stack NAME` (found from its outputs), or any table with `--table NAME`, in AWS with your own
 * credentials.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { localTableNames } from '../lambda/table-schema.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';
import { type Environment, localEngineEndpoint, localTableName } from '../local/local-settings.ts';
import { cloudFormationClient, readStackOutputs, requiredOutputs } from './stack-reader.ts';
import type { FailureContext } from './tool-failure.ts';

/** The options every table tool takes. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  table: { type: 'string' },
  'seq-table': { type: 'string' },
  region: { type: 'string' },
} as const;

/** The options of the tools that read records: the target, a time range, JSON, help. */
export const READ_OPTIONS = {
  ...TARGET_OPTIONS,
  from: { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--stack`, `--table`, `--seq-table` and `--region`, as parsed. */
export interface TargetOptions {
  readonly stack?: string | undefined;
  readonly table?: string | undefined;
  /** The seqs table, with `--table` (a stack's outputs name it). */
  readonly 'seq-table'?: string | undefined;
  readonly region?: string | undefined;
}

/** The AWS clients a table tool uses. */
export interface TableClients {
  readonly cloudFormation: CloudFormationClient;
  readonly dynamoDB: DynamoDBClient;
}

/** The real clients, in `region` or the SDK's default one. */
export function awsTableClients(region: string | undefined): TableClients {
  return {
    cloudFormation: cloudFormationClient(region),
    dynamoDB: new DynamoDBClient(region ? { region } : {}),
  };
}

/** A table and a client for it. */
export interface TableTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The seqs table, when known (gaps, lookups by seq and replays of save-DB records need it). */
  readonly seqTableName: string | undefined;
  /** Where the table is, for progress lines. */
  readonly where: string;
  /** Whether it is the local engine's. */
  readonly local: boolean;
  /** Releases the client if this target made it. */
  close(): void;
}

/** Whether these options mean the local engine. */
export function isLocalTarget(options: TargetOptions): boolean {
  return !options.stack && !options.table;
}

/**
 * Resolves the table from `--stack`, `--table` or the local settings (`DYNAMODB_PORT`,
 * `TABLE_NAME`). `context` explains a failure to read the stack.
 */
export async function resolveTableTarget(
  options: TargetOptions,
  {
    env = process.env,
    clients = awsTableClients,
    context = {},
  }: {
    readonly env?: Environment;
    readonly clients?: (region: string | undefined) => TableClients;
    readonly context?: FailureContext;
  } = {},
): Promise<TableTarget> {
  if (options.stack) {
    const aws = clients(options.region);
    const outputs = await readStackOutputs(aws.cloudFormation, options.stack, context);
    const [tableName] = requiredOutputs(outputs, [STACK_OUTPUTS.tableName], options.stack);
    return {
      client: aws.dynamoDB,
      tableName: tableName as string,
      // A stack deployed before the seqs table existed has no such output.
      seqTableName: outputs[STACK_OUTPUTS.seqTableName],
      where: `stack ${options.stack}`,
      local: false,
      close: () => undefined,
    };
  }
  if (options.table) {
    const { dynamoDB } = clients(options.region);
    return {
      client: dynamoDB,
      tableName: options.table,
      seqTableName: options['seq-table'],
      where: 'AWS',
      local: false,
      close: () => undefined,
    };
  }
  const endpoint = localEngineEndpoint(env);
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const tables = localTableNames(localTableName(env));
  return {
    client,
    tableName: tables.messages,
    seqTableName: tables.seqs,
    where: endpoint,
    local: true,
    close: () => client.destroy(),
  };
}
