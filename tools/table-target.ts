/**
 * Which table a tool reads or writes: the local engine by default, a deployed stack's table with
 * `--stack NAME` (found from its outputs), or any table with `--table NAME`, in AWS with your own
 * credentials.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';
import { type Environment, LOCAL_ENV, localEngineTarget } from '../local/local-settings.ts';
import { RECEIVER_INFO_FILE } from '../local/receiver-info.ts';
import { cloudFormationClient, readStackOutputs, requiredOutputs } from './stack-reader.ts';
import { errorName, type FailureContext } from './tool-failure.ts';

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
  /** Where the table is, for progress lines: the engine's endpoint, or the stack or AWS. */
  readonly where: string;
  /** How the tables were found, e.g. `from DATA_DIR's receiver.json`, for the reading line. */
  readonly found: string;
  /** The region asked, in AWS, when known. */
  readonly region?: string | undefined;
  /** Whether it is the local engine's. */
  readonly local: boolean;
  /** Releases the client if this target made it. */
  close(): void;
}

/**
 * Tags a DynamoDB "resource not found" failure with the table it was about (the SDK's error does
 * not say), so that the tool can name the missing table.
 */
function nameMissingTables(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') {
          const input = args.input as { TableName?: string; RequestItems?: object };
          const table = input.TableName ?? Object.keys(input.RequestItems ?? {})[0];
          if (table) Object.assign(error as object, { tableName: table });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'nameMissingTables', override: true },
  );
}

/** The region a client asks, when one is configured. */
async function regionOf(client: DynamoDBClient): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
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
    nameMissingTables(aws.dynamoDB);
    return {
      client: aws.dynamoDB,
      tableName: tableName as string,
      // A stack deployed before the seqs table existed has no such output.
      seqTableName: outputs[STACK_OUTPUTS.seqTableName],
      where: `stack ${options.stack}`,
      found: "from the stack's outputs",
      region: await regionOf(aws.dynamoDB),
      local: false,
      close: () => undefined,
    };
  }
  if (options.table) {
    const { dynamoDB } = clients(options.region);
    nameMissingTables(dynamoDB);
    return {
      client: dynamoDB,
      tableName: options.table,
      seqTableName: options['seq-table'],
      where: 'AWS',
      found: 'from --table and --seq-table',
      region: await regionOf(dynamoDB),
      local: false,
      close: () => undefined,
    };
  }
  const local = localEngineTarget(env);
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: local.endpoint });
  nameMissingTables(client);
  const set = [LOCAL_ENV.dynamoPort, LOCAL_ENV.tableName].filter((name) => env[name]);
  return {
    client,
    tableName: local.tables.messages,
    seqTableName: local.tables.seqs,
    where: local.endpoint,
    found: local.receiver
      ? `from the receiver running on ${local.dataDir} (its ${RECEIVER_INFO_FILE})${set.length ? `, with ${set.join(' and ')}` : ''}`
      : set.length
        ? `from ${set.join(' and ')}`
        : `the defaults: ${local.dataDir} has no running receiver's ${RECEIVER_INFO_FILE}`,
    local: true,
    close: () => client.destroy(),
  };
}

/** The one stderr line that says where a tool reads: the engine or AWS target, and the tables. */
export function readingLine(target: TableTarget): string {
  const place = target.local
    ? `the local engine at ${target.where}`
    : `${target.where} in ${target.region ?? 'the default region (none is set)'}`;
  const tables = target.seqTableName
    ? `tables "${target.tableName}" and "${target.seqTableName}"`
    : `table "${target.tableName}" (no seqs table: gaps and seq need --seq-table)`;
  return `Reading ${place}: ${tables}, ${target.found}`;
}

/**
 * What to do about a table that is not there, or `undefined` if `error` is something else. The
 * failed request's table is named where the SDK's error carries it (see `nameMissingTables`).
 */
export function missingTableMessage(error: unknown, target: TableTarget): string | undefined {
  if (errorName(error) !== 'ResourceNotFoundException') return undefined;
  const named = (error as { tableName?: string }).tableName;
  const table = named
    ? `"${named}"`
    : [target.tableName, target.seqTableName]
        .filter(Boolean)
        .map((name) => `"${name}"`)
        .join(' or ');
  if (target.local) {
    return (
      `table ${table} does not exist on the local engine at ${target.where}. Fix: start the ` +
      `receiver with npm start, which creates its tables, or check ${LOCAL_ENV.tableName}, ` +
      `${LOCAL_ENV.dynamoPort} and ${LOCAL_ENV.dataDir}: they must be the ones the receiver ` +
      'was started with'
    );
  }
  return (
    `table ${table} was not found in ${target.region ?? 'the default region'}. Fix: check ` +
    '--table and --seq-table (or --stack) and --region: they must name the deployed tables'
  );
}
