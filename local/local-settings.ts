/**
 * Local mode's settings: the one place that names each environment variable of `npm start`, the
 * console and the tools, holds its default, and checks it. A wrong value fails with one line that
 * names the variable and the fix.
 */
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { normalizeCidr, parseSourceAllowlist, splitEntries } from '../lambda/source-allowlist.ts';
import { type ArchiveTableNames, localTableNames } from '../lambda/table-schema.ts';
import { type Credentials, credentialOrigin } from '../lambda/webhook-auth.ts';
import { type ReceiverInfo, readReceiverInfo } from './receiver-info.ts';

/** The environment variables of local mode, by what they set. */
export const LOCAL_ENV = {
  host: 'HOST',
  port: 'PORT',
  dynamoPort: 'DYNAMODB_PORT',
  consolePort: 'CONSOLE_PORT',
  dataDir: 'DATA_DIR',
  tableName: 'TABLE_NAME',
  credentials: 'WEBHOOK_CREDENTIALS',
  allowedSources: 'ALLOWED_SOURCE_CIDRS',
} as const;

/** What each setting is when its variable is unset or empty. */
export const LOCAL_DEFAULTS = {
  host: '127.0.0.1',
  port: 3000,
  dynamoPort: 8000,
  consolePort: 8001,
  dataDir: '.data',
  tableName: 'openim-messages',
} as const;

/** Where the embedded engine and the console listen, whatever `HOST` says: they check nobody. */
export const ENGINE_HOST = '127.0.0.1';

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A local setting that is wrong; the message names the variable and the fix, on one line. */
export class LocalSettingError extends Error {
  override readonly name = 'LocalSettingError';
}

/** A variable's value; empty counts as unset, as in a shell's `VAR= npm start`. */
function read(env: Environment, name: string): string | undefined {
  return env[name] || undefined;
}

/** A port from `name`, or `fallback` when unset; 0 picks a free port. */
function port(env: Environment, name: string, fallback: number): number {
  const text = read(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) {
    throw new LocalSettingError(`${name} must be a port number from 0 to 65535, not "${text}"`);
  }
  return value;
}

/** The embedded engine's port (`DYNAMODB_PORT`). */
export function localDynamoPort(env: Environment = process.env): number {
  return port(env, LOCAL_ENV.dynamoPort, LOCAL_DEFAULTS.dynamoPort);
}

/** DynamoDB's rule for a table name: 3 to 255 letters, digits, `_`, `-` and `.`. */
const TABLE_NAME_RULE = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * The tables named by `TABLE_NAME` (the seqs table is derived from it), or unset; a name DynamoDB
 * would refuse, for either table, fails here in one line instead of as a CreateTable stack trace.
 */
function namedTables(env: Environment): ArchiveTableNames | undefined {
  const name = read(env, LOCAL_ENV.tableName);
  if (name === undefined) return undefined;
  const tables = localTableNames(name);
  if (!TABLE_NAME_RULE.test(tables.messages) || !TABLE_NAME_RULE.test(tables.seqs)) {
    const maxLength = 255 - (tables.seqs.length - tables.messages.length);
    throw new LocalSettingError(
      `${LOCAL_ENV.tableName} is ${JSON.stringify(name)}, but DynamoDB table names are 3 to 255 ` +
        `letters, digits, "_", "-" or ".", and the seqs table's name is ${JSON.stringify(tables.seqs)}. ` +
        `Fix: a name of 3 to ${maxLength} such characters, e.g. ${LOCAL_ENV.tableName}=` +
        `${LOCAL_DEFAULTS.tableName} (the default), or unset ${LOCAL_ENV.tableName}`,
    );
  }
  return tables;
}

/** Where the tools and the console find the local engine and its tables. */
export interface LocalEngineTarget {
  /** The engine's endpoint, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  readonly tables: ArchiveTableNames;
  /** The data folder looked in (`DATA_DIR`). */
  readonly dataDir: string;
  /** The running receiver of that folder, when its file named this engine. */
  readonly receiver: ReceiverInfo | undefined;
}

/**
 * The local engine as the tools and the console reach it: `DYNAMODB_PORT` and `TABLE_NAME` when
 * set, else what the receiver running on `DATA_DIR` wrote in its file (see receiver-info.ts), else
 * the defaults. A file that names another engine than `DYNAMODB_PORT` does is ignored.
 */
export function localEngineTarget(env: Environment = process.env): LocalEngineTarget {
  const dataDir = localDataDir(env);
  const running = readReceiverInfo(dataDir);
  const endpoint =
    read(env, LOCAL_ENV.dynamoPort) !== undefined
      ? `http://${ENGINE_HOST}:${localDynamoPort(env)}`
      : (running?.endpoint ?? `http://${ENGINE_HOST}:${LOCAL_DEFAULTS.dynamoPort}`);
  const receiver = running?.endpoint === endpoint ? running : undefined;
  const tables = namedTables(env) ?? receiver?.tables ?? localTableNames(LOCAL_DEFAULTS.tableName);
  return { endpoint, tables, dataDir, receiver };
}

/** The embedded engine's endpoint, as the tools and the console reach it. */
export function localEngineEndpoint(env: Environment = process.env): string {
  return localEngineTarget(env).endpoint;
}

/** The messages table's name, as the tools and the console find it. */
export function localTableName(env: Environment = process.env): string {
  return localEngineTarget(env).tables.messages;
}

/** The data folder (`DATA_DIR`), as an absolute path. */
export function localDataDir(env: Environment = process.env): string {
  return resolve(read(env, LOCAL_ENV.dataDir) ?? LOCAL_DEFAULTS.dataDir);
}

/** The fallback spool inside a data folder, where the receiver keeps what the table refused. */
export function spoolDirOf(dataDir: string): string {
  return join(dataDir, 'fallback');
}

/** `npm run console`'s port (`CONSOLE_PORT`). */
export function localConsolePort(env: Environment = process.env): number {
  return port(env, LOCAL_ENV.consolePort, LOCAL_DEFAULTS.consolePort);
}

/** Whether `host` only takes connections from this machine. */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^::ffff:/i, '');
  return (
    host === 'localhost' || (isIP(address) === 4 && address.startsWith('127.')) || host === '::1'
  );
}

/** Whether `host` is a wildcard: every interface of this machine. */
export function isEveryInterface(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Everything `npm start` needs, checked. */
export interface ReceiverSettings {
  /** The address the HTTP server listens on. */
  readonly host: string;
  readonly port: number;
  readonly dynamoPort: number;
  readonly dataDir: string;
  readonly spoolDir: string;
  readonly tableName: string;
  /** The credentials OpenIM must present; `undefined` runs open, on loopback only. */
  readonly credentials: Credentials | undefined;
  /** The addresses allowed to post, as `address/prefix`; `undefined` allows any. */
  readonly allowedSources: readonly string[] | undefined;
}

/** The listening address (`HOST`): an IP address, or `localhost`. */
function host(env: Environment): string {
  const text = read(env, LOCAL_ENV.host) ?? LOCAL_DEFAULTS.host;
  if (text === 'localhost' || isIP(text) !== 0) return text;
  throw new LocalSettingError(
    `${LOCAL_ENV.host} is "${text}", but it must be the IP address to listen on: ` +
      `${LOCAL_DEFAULTS.host} (the default: this machine only) or 0.0.0.0 (every interface). ` +
      `Fix: unset ${LOCAL_ENV.host}, or set ${LOCAL_ENV.host}=0.0.0.0 with ${LOCAL_ENV.credentials}`,
  );
}

/** Reads and checks every setting of `npm start`; throws {@link LocalSettingError} with the fix. */
export function readReceiverSettings(env: Environment = process.env): ReceiverSettings {
  const listenOn = host(env);
  // The function's own reading of WEBHOOK_CREDENTIALS, asked about that variable alone: a
  // secret ARN left in the shell is dropped before the handler loads (see start.ts).
  let credentials: Credentials | undefined;
  try {
    const origin = credentialOrigin({ WEBHOOK_CREDENTIALS: read(env, LOCAL_ENV.credentials) });
    credentials = origin.kind === 'static' ? origin.credentials : undefined;
  } catch (error) {
    throw new LocalSettingError((error as Error).message);
  }
  if (credentials === undefined && !isLoopback(listenOn)) {
    throw new LocalSettingError(
      `${LOCAL_ENV.host}=${listenOn} lets other machines post, so ${LOCAL_ENV.credentials} is ` +
        `required. Fix: set ${LOCAL_ENV.credentials}=user:password too (OpenIM's url is then ` +
        `http://user:password@ADDRESS:PORT), or unset ${LOCAL_ENV.host} to listen on ` +
        `${LOCAL_DEFAULTS.host} only`,
    );
  }
  const allowed = read(env, LOCAL_ENV.allowedSources);
  if (allowed !== undefined) {
    try {
      parseSourceAllowlist(allowed);
    } catch (error) {
      throw new LocalSettingError(
        `${LOCAL_ENV.allowedSources} is invalid: ${(error as Error).message}. Fix: ` +
          `comma-separated addresses or CIDRs, e.g. ${LOCAL_ENV.allowedSources}=172.17.0.0/16,127.0.0.1`,
      );
    }
  }
  const listenPort = port(env, LOCAL_ENV.port, LOCAL_DEFAULTS.port);
  const dynamoPort = localDynamoPort(env);
  // Port 0 picks a free port for each, so only a fixed port can clash.
  if (listenPort !== 0 && listenPort === dynamoPort) {
    throw new LocalSettingError(
      `${LOCAL_ENV.port} and ${LOCAL_ENV.dynamoPort} are both ${listenPort} (set or by default), ` +
        'but the receiver and its engine each need a port of their own. Fix: set one of them to ' +
        `another port, e.g. ${LOCAL_ENV.port}=${LOCAL_DEFAULTS.port} ` +
        `${LOCAL_ENV.dynamoPort}=${LOCAL_DEFAULTS.dynamoPort} (the defaults)`,
    );
  }
  const dataDir = localDataDir(env);
  return {
    host: listenOn,
    port: listenPort,
    dynamoPort,
    dataDir,
    spoolDir: spoolDirOf(dataDir),
    tableName: (namedTables(env) ?? localTableNames(LOCAL_DEFAULTS.tableName)).messages,
    credentials,
    allowedSources:
      allowed === undefined
        ? undefined
        : splitEntries(allowed).map((entry) => normalizeCidr(entry) ?? entry),
  };
}
