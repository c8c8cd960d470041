/**
 * `npm start`: the receiver on one machine. Checks its settings, starts the embedded engine with
 * the archive's tables, then serves OpenIM's callbacks over HTTP with the same handler that runs
 * in Lambda, until a signal or the end of the process that started it.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { countRejection, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/receiver-metrics.ts';
import { localTableNames } from '../lambda/table-schema.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { ensureArchiveTables, LOCAL_AWS, startLocalEngine } from './local-engine.ts';
import { ENGINE_HOST, readReceiverSettings } from './local-settings.ts';
import { onParentGone } from './parent-watch.ts';
import { RECEIVER_INFO_FILE, writeReceiverInfo } from './receiver-info.ts';
import { createReceiverServer, type Refusal } from './receiver-server.ts';
import { authority, startBanner } from './start-banner.ts';

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

const settings = (() => {
  try {
    return readReceiverSettings();
  } catch (error) {
    return fail(error);
  }
})();
const { host, port, dynamoPort, dataDir, spoolDir, tableName } = settings;

// `mkdir` names the folder only when it made it: a start that fails then leaves no empty one.
const madeDataDir = (await mkdir(dataDir, { recursive: true })) !== undefined;
const unlock = await lockDataDir(dataDir).catch(fail);
/** Releases the data folder after a failed start, and removes it if this start made it. */
const abandon = async () => {
  await unlock();
  if (madeDataDir) await rm(dataDir, { recursive: true, force: true });
};
// The engine checks no credentials, so it stays on loopback whatever HOST says.
const engine = await startLocalEngine({ port: dynamoPort, host: ENGINE_HOST, dataDir }).catch(
  async (error: unknown) => {
    await abandon();
    return fail(error);
  },
);
const tables = localTableNames(tableName);
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
// Local mode is local: a Lambda name, secret, queue or AWS session left in the shell must not
// point the handler at AWS (or make it refuse to load as if it ran in Lambda).
for (const name of [
  'AWS_LAMBDA_FUNCTION_NAME',
  'WEBHOOK_SECRET_ARN',
  'FALLBACK_QUEUE_URL',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
]) {
  delete process.env[name];
}
const { handler } = await import('../lambda/handler.ts').catch(fail);
/** The records waiting in a spool folder. */
const spooled = async (folder: string) =>
  (await readdir(folder).catch(() => [])).filter((f) => f.endsWith('.json')).length;
const waiting = await spooled(spoolDir);
const failed = await spooled(join(spoolDir, 'failed'));

// Refusals the HTTP server answers itself (a body that never completes, an unknown path) are
// logged and counted as the handler logs and counts its own.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;
const refusalLogger = new Logger({ serviceName });
const refusalMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
/** Logs and counts one refusal of the HTTP server. */
function onRefusal({ statusCode, errMsg, errDlt }: Refusal): void {
  refusalLogger.warn('Callback refused', { statusCode, errMsg, errDlt });
  countRejection(refusalMetrics, statusCode);
}

const receiver = createReceiverServer({ handler, onRefusal });
const address = await receiver.listen(port, host).catch(async (error: unknown) => {
  await engine.close();
  await abandon();
  return fail(error);
});

// The tools and the console read this to find the engine and the tables from DATA_DIR alone.
// Without it they still find them from DYNAMODB_PORT and TABLE_NAME, so a failed write is no
// reason to stop the receiver.
const forgetInfo = await writeReceiverInfo(dataDir, {
  endpoint: engine.endpoint,
  tables,
  url: `http://${authority(host, address.port)}`,
}).catch((error: unknown) => {
  process.stderr.write(`Could not write ${RECEIVER_INFO_FILE} in ${dataDir}: ${String(error)}\n`);
  return async () => undefined;
});

// If the terminal or the pipe reading the output goes away, writing to it fails with EPIPE. That
// must not crash the receiver, least of all while it is stopping and closing the engine.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

let stopping = false;
/** Answers the requests in flight, closes the engine and releases the data folder, then exits. */
function stopAndExit(reason: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${reason}: finishing requests in flight...\n`);
  (async () => {
    await receiver.close();
    await forgetInfo();
    await engine.close();
    await unlock();
  })().then(
    () => {
      process.stdout.write('Stopped; every accepted message is stored.\n');
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`Stopping failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
// SIGHUP: the terminal was closed. Stop just as gracefully as on Ctrl-C.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => stopAndExit(signal));
}
// `kill -TERM <npm>` ends npm and its shell but never reaches this process: see parent-watch.ts.
// If that happened while the receiver was starting, the first look, in half a second, sees it.
onParentGone(() => stopAndExit('The process that started the receiver ended'));

// Last: once the banner is out, a supervisor may take the receiver as ready, and stop it.
process.stdout.write(
  startBanner({
    host,
    port: address.port,
    username: settings.credentials?.username,
    allowedSources: settings.allowedSources,
    engineEndpoint: engine.endpoint,
    tables,
    dataDir,
    spoolDir,
    waiting,
    failed,
  }),
);
