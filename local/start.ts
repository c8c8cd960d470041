/**
 * `npm start`: the receiver on one machine. Starts the embedded engine with the messages table,
 * then serves OpenIM's callback over HTTP with the same handler that runs in Lambda.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CALLBACKS, webhooksYaml } from '../lambda/callbacks.ts';
import { localTableNames } from '../lambda/table-schema.ts';
import { parseCredentials } from '../lambda/webhook-auth.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { ensureArchiveTables, LOCAL_AWS, startLocalEngine } from './local-engine.ts';
import { createReceiverServer } from './receiver-server.ts';

/** A port from the environment, or the default; anything else stops the start with the fix. */
function portFrom(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    fail(new Error(`${name} must be a port number from 0 to 65535, not "${value}"`));
  }
  return port;
}

/** Ends the start with a one-line reason a person can act on, instead of a stack trace. */
function fail(error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  const address = error as { port?: number };
  const reason =
    code === 'EADDRINUSE'
      ? `port ${address.port} is already in use: stop what uses it, or set PORT / DYNAMODB_PORT`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`Cannot start the receiver: ${reason}\n`);
  process.exit(1);
}

const host = '127.0.0.1';
const port = portFrom('PORT', 3000);
const dynamoPort = portFrom('DYNAMODB_PORT', 8000);
const dataDir = resolve(process.env.DATA_DIR || '.data');
const tables = localTableNames(process.env.TABLE_NAME || 'openim-messages');
const spoolDir = join(dataDir, 'fallback');
let username: string | undefined;
try {
  username = process.env.WEBHOOK_CREDENTIALS
    ? parseCredentials(process.env.WEBHOOK_CREDENTIALS).username
    : undefined;
} catch (error) {
  fail(new Error(`WEBHOOK_CREDENTIALS is invalid: ${(error as Error).message}`));
}

await mkdir(dataDir, { recursive: true });
const unlock = await lockDataDir(dataDir).catch(fail);
const engine = await startLocalEngine({ port: dynamoPort, host, dataDir }).catch(fail);
await ensureArchiveTables(engine.client, tables);

// The handler reads these when it loads, exactly as in Lambda; the SDK honours the endpoint.
Object.assign(process.env, {
  TABLE_NAME: tables.messages,
  SEQ_TABLE_NAME: tables.seqs,
  FALLBACK_SPOOL_DIR: spoolDir,
  AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
  AWS_REGION: LOCAL_AWS.region,
  AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
});
// CloudWatch metrics would only clutter a terminal; POWERTOOLS_METRICS_DISABLED=false shows them.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
const { handler } = await import('../lambda/handler.ts').catch(fail);
const waiting = (await readdir(spoolDir).catch(() => [])).filter((f) => f.endsWith('.json')).length;

const receiver = createReceiverServer({ handler });
const address = await receiver.listen(port, host).catch(async (error: unknown) => {
  await engine.close();
  await unlock();
  return fail(error);
});
const url = `http://${host}:${address.port}`;
const openimUrl = username
  ? `http://${encodeURIComponent(username)}:PASSWORD@${host}:${address.port}`
  : url;
const access = username
  ? `Basic credentials required (WEBHOOK_CREDENTIALS, user "${username}")`
  : `OPEN: no credentials are checked (set WEBHOOK_CREDENTIALS=user:password to require them)`;
const backlog = waiting
  ? `\n  fallback: ${waiting} message(s) wait in ${spoolDir}; store them with: npm run replay\n`
  : '';

process.stdout.write(`
OpenIM callback receiver listening on ${url}
  storage: DynamoDB-compatible engine at ${engine.endpoint}, tables "${tables.messages}" and "${tables.seqs}", data in ${dataDir}
  stores:  ${CALLBACKS.map((c) => `${c.webhooksKey} (${c.summary})`).join('\n           ')}
  access:  ${access}${backlog}

Point OpenIM at it in config/webhooks.yml${username ? ' (PASSWORD: the one in WEBHOOK_CREDENTIALS)' : ''}:

${webhooksYaml(openimUrl).replace(/^(?=.)/gm, '  ')}
Browse the records with: npm run console
Stop with Ctrl-C; requests in flight are answered and stored first.
`);

// If the terminal or the pipe reading the output goes away, writing to it fails with EPIPE. That
// must not crash the receiver, least of all while it is stopping and closing the engine.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: finishing requests in flight...\n`);
  await receiver.close();
  await engine.close();
  await unlock();
  process.stdout.write('Stopped; every accepted message is stored.\n');
}
// SIGHUP: the terminal was closed. Stop just as gracefully as on Ctrl-C.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
