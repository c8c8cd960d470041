/**
 * `npm run console`: the archive in a browser, on 127.0.0.1 only. On the local engine it serves
 * the read-only transcript at `/transcript` and dynamodb-admin at `/` beside it (which edits and
 * deletes without asking: fine for a developer's own engine). With `--stack NAME`, or
 * `--table T --seq-table S`, it reads a deployment's tables with the operator's own AWS
 * credentials and serves the transcript alone, never dynamodb-admin. It runs in this process (not
 * as a child to pass signals on to).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer as createAdmin } from 'dynamodb-admin';
import {
  isLocalTarget,
  resolveTableTarget,
  TARGET_OPTIONS,
  type TableClients,
  type TableTarget,
  type TargetOptions,
} from '../tools/table-target.ts';
import { html, TRANSCRIPT_ROOT } from '../tools/transcript-html.ts';
import {
  createTranscriptHandler,
  SECURITY_HEADERS,
  sendPage,
  type TargetHelp,
  type TranscriptTarget,
  unreadablePage,
} from '../tools/transcript-server.ts';
import { LOCAL_AWS } from './local-engine.ts';
import {
  ENGINE_HOST,
  type Environment,
  LOCAL_ENV,
  localConsolePort,
  localEngineEndpoint,
  localTableName,
} from './local-settings.ts';
import { onParentGone } from './parent-watch.ts';

/** What `npm run console -- --help` prints. */
export const CONSOLE_USAGE = `usage: npm run console [-- --stack NAME | --table T --seq-table S] [--region R]
  (no options)            the local receiver's engine (npm start): the read-only transcript at
                          http://127.0.0.1:8001/transcript, and dynamodb-admin at /
  --stack NAME            a deployment's tables, from its stack's outputs, read with your own
                          AWS credentials: the transcript alone, never dynamodb-admin
  --table T --seq-table S the tables by name, in AWS (without --seq-table, no gaps are shown)
  --region R              the deployment's region (default: AWS_REGION, or your profile's)
settings: CONSOLE_PORT (default 8001); locally also DYNAMODB_PORT, TABLE_NAME and DATA_DIR,
the same as npm start's`;

/** What the transcript's reads need in AWS, for an access-denied explanation. */
const PERMISSIONS =
  'dynamodb:Query, dynamodb:GetItem and dynamodb:BatchGetItem on both tables and the messages ' +
  "table's indexes (with --stack, also cloudformation:DescribeStacks on the stack)";

/** A start the console refuses, with a message that says the fix. */
export class ConsoleOptionError extends Error {
  override readonly name = 'ConsoleOptionError';
}

/** The command line, checked: what to read, or `help`. */
export function parseConsoleArgs(argv: readonly string[]): {
  readonly help: boolean;
  readonly target: TargetOptions;
} {
  let values: TargetOptions & { help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...TARGET_OPTIONS, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new ConsoleOptionError(`${(error as Error).message}\n${CONSOLE_USAGE}`);
  }
  if (values.stack && values.table) {
    throw new ConsoleOptionError('give --stack NAME or --table T --seq-table S, not both');
  }
  if (values['seq-table'] && !values.table) {
    throw new ConsoleOptionError('--seq-table goes with --table T (a stack names both itself)');
  }
  if (values.region && isLocalTarget(values)) {
    throw new ConsoleOptionError(
      '--region goes with --stack or --table: the local engine has none',
    );
  }
  const { help = false, ...target } = values;
  return { help, target };
}

/** What the console reads, in words, for the pages' header and the banner. */
function sourceOf(target: TableTarget, options: TargetOptions): string {
  if (target.local) return `local engine ${target.where}, table ${target.tableName}`;
  const region = options.region ? ` in ${options.region}` : '';
  return options.stack
    ? `stack ${options.stack}${region} (table ${target.tableName})`
    : `table ${target.tableName}${region}`;
}

/** What the error page tells a person whose local engine does not answer. */
function localHelp(env: Environment): TargetHelp {
  const endpoint = localEngineEndpoint(env);
  const table = localTableName(env);
  return {
    context: { localEngine: true, permissions: PERMISSIONS },
    checks: [
      html`Is the receiver running? Start it in another terminal: <code>npm start</code>. The engine runs inside it, and while it is stopped there is nothing to read.`,
      html`This console reads the engine at <code>${endpoint}</code> (<code>${LOCAL_ENV.dynamoPort}</code>) and the table <code>${table}</code> (<code>${LOCAL_ENV.tableName}</code>). If <code>npm start</code> runs with another <code>${LOCAL_ENV.dynamoPort}</code>, <code>${LOCAL_ENV.tableName}</code> or <code>${LOCAL_ENV.dataDir}</code>, start <code>npm run console</code> with the same ones.`,
      html`To read a deployment instead: <code>npm run console -- --stack NAME</code>.`,
    ],
    missingTable: () =>
      `The engine at ${endpoint} answers, but has no table ${table}: npm start creates it. ` +
      `Is ${LOCAL_ENV.tableName} the same here as for npm start?`,
  };
}

/** What the error page tells a person whose AWS tables cannot be read. */
function awsHelp(options: TargetOptions, env: Environment): TargetHelp {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    context: { localEngine: false, region, permissions: PERMISSIONS },
    checks: [
      html`Credentials: sign in, e.g. <code>aws sso login --profile NAME</code> and <code>export AWS_PROFILE=NAME</code>, or set <code>AWS_ACCESS_KEY_ID</code> and <code>AWS_SECRET_ACCESS_KEY</code>; then start <code>npm run console</code> again in that shell.`,
      html`Region: the one the stack is deployed in, with <code>--region eu-west-1</code> or <code>AWS_REGION</code> (now: <code>${region ?? 'not set'}</code>).`,
      options.stack
        ? html`Stack: <code>--stack ${options.stack}</code> must be the <code>stackName</code> you deployed with (by default <code>OpenImCallbackReceiver</code>).`
        : html`Tables: <code>--table ${options.table ?? ''}</code> and <code>--seq-table</code> must be the <code>TableName</code> and <code>SeqTableName</code> outputs of the stack.`,
      html`Permissions: your credentials need ${PERMISSIONS}.`,
    ],
    missingTable: (asked) =>
      `Table ${asked?.tableName ?? options.table ?? ''} was not found${region ? ` in ${region}` : ''}. ` +
      'Check --region, and the stack or table names.',
  };
}

/** Options for {@link startConsole}; tests pass their own. */
export interface ConsoleOptions {
  /** The local settings (`CONSOLE_PORT`, `DYNAMODB_PORT`, `TABLE_NAME`). @default process.env */
  readonly env?: Environment;
  /** AWS clients for a region, for `--stack` and `--table`. */
  readonly clients?: (region: string | undefined) => TableClients;
  /** The port; 0 picks a free one. @default CONSOLE_PORT, or 8001 */
  readonly port?: number;
  /** Messages per transcript page. */
  readonly pageSize?: number;
  /** Where a failure to read is logged, one line each. */
  readonly log?: (line: string) => void;
}

/** A running console. */
export interface RunningConsole {
  readonly server: Server;
  /** The transcript's start page. */
  readonly transcriptUrl: string;
  /** dynamodb-admin, on the local engine only. */
  readonly adminUrl: string | undefined;
  /** The local engine's endpoint, when that is what it reads. */
  readonly engineEndpoint: string | undefined;
  /** Stops serving and releases the clients. */
  close(): Promise<void>;
}

/** Whether something accepts connections at `endpoint` (an `http://host:port` URL) within 1 s. */
function answers(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 1_000 });
    const settle = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

/** Whether a Host header names this machine's loopback: a page of another name is refused. */
function isLoopbackHost(host: string | undefined): boolean {
  return /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i.test(host ?? '');
}

/** Starts the console on `argv` (without node and the script); resolves once it listens. */
export async function startConsole(
  argv: readonly string[],
  options: ConsoleOptions = {},
): Promise<RunningConsole> {
  const env = options.env ?? process.env;
  const { target: flags } = parseConsoleArgs(argv);
  const local = isLocalTarget(flags);
  const port = options.port ?? localConsolePort(env);
  const engineEndpoint = local ? localEngineEndpoint(env) : undefined;
  const adminClient = engineEndpoint
    ? new DynamoDBClient({ ...LOCAL_AWS, endpoint: engineEndpoint })
    : undefined;
  const admin = adminClient ? createAdmin({ dynamoDbClient: adminClient }) : undefined;
  const help = local ? localHelp(env) : awsHelp(flags, env);
  const resolved: TableTarget[] = [];
  const transcript = createTranscriptHandler({
    target: async (): Promise<TranscriptTarget> => {
      const table = await resolveTableTarget(flags, {
        env,
        ...(options.clients ? { clients: options.clients } : {}),
        context: help.context,
      });
      resolved.push(table);
      return {
        client: table.client,
        tableName: table.tableName,
        seqTableName: table.seqTableName,
        source: sourceOf(table, flags),
      };
    },
    help,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.log ? { log: options.log } : {}),
  });

  /**
   * dynamodb-admin answers a stopped engine with a raw `ECONNREFUSED` and a stack trace in this
   * terminal: the transcript's error page says what to start instead.
   */
  const engineDown = (response: ServerResponse) => {
    const problem = `Nothing answers at ${engineEndpoint}: the receiver's engine is not running.`;
    options.log?.(`dynamodb-admin: ${problem}`);
    sendPage(response, 503, unreadablePage(problem, help).text);
  };

  const route = (request: IncomingMessage, response: ServerResponse) => {
    // A web page elsewhere that renames itself to 127.0.0.1 (DNS rebinding) is turned away.
    if (!isLoopbackHost(request.headers.host)) {
      const refusal = 'This console answers only as 127.0.0.1 or localhost.\n';
      sendPage(response, 403, refusal, 'text/plain; charset=utf-8');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://console.invalid').pathname;
    const ours = path === TRANSCRIPT_ROOT || path.startsWith(`${TRANSCRIPT_ROOT}/`);
    if (!ours && admin && engineEndpoint) {
      void answers(engineEndpoint).then((up) => {
        if (up) admin(request, response);
        else engineDown(response);
      });
      return;
    }
    if (!ours && path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(302, { ...SECURITY_HEADERS, location: TRANSCRIPT_ROOT });
      response.end();
      return;
    }
    void transcript(request, response);
  };

  const server = createServer(route);
  server.listen(port, ENGINE_HOST);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    adminClient?.destroy();
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new ConsoleOptionError(
          `port ${port} is already in use: stop what uses it, or set ${LOCAL_ENV.consolePort}`,
        )
      : error;
  }
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const base = `http://${ENGINE_HOST}:${bound}`;
  return {
    server,
    transcriptUrl: `${base}${TRANSCRIPT_ROOT}`,
    adminUrl: admin ? `${base}/` : undefined,
    engineEndpoint,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
      adminClient?.destroy();
      for (const table of resolved) table.close();
    },
  };
}

/** What the console prints once it listens. */
export function consoleBanner(running: RunningConsole, argv: readonly string[]): string {
  const { target } = parseConsoleArgs(argv);
  if (running.adminUrl) {
    return (
      `Transcript (read-only) listening on ${running.transcriptUrl}\n` +
      `dynamodb-admin listening on ${running.adminUrl}, showing the engine at ` +
      `${running.engineEndpoint} (it edits and deletes)\n` +
      '(they read the engine npm start runs; stop this with Ctrl-C)\n'
    );
  }
  const what = target.stack ? `stack ${target.stack}` : `table ${target.table}`;
  return (
    `Transcript (read-only) listening on ${running.transcriptUrl}, reading ${what} with your ` +
    'AWS credentials\n(dynamodb-admin is not served for a deployment; stop this with Ctrl-C)\n'
  );
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const fail = (error: unknown): never => {
    process.stderr.write(
      `Cannot start the console: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  };
  let help = false;
  try {
    help = parseConsoleArgs(argv).help;
  } catch (error) {
    fail(error);
  }
  if (help) {
    process.stdout.write(`${CONSOLE_USAGE}\n`);
    process.exit(0);
  }
  const running = await startConsole(argv, {
    log: (line) => process.stderr.write(`${line}\n`),
  }).catch(fail);
  process.stdout.write(consoleBanner(running, argv));
  /** Closes the console and exits. */
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  // `kill -TERM <npm>` never reaches this process: see parent-watch.ts.
  onParentGone(stop);
}
