/**
 * `npm start`: the receiver on one machine. Starts the embedded engine with the messages table,
 * then serves OpenIM's callback over HTTP with the same handler that runs in Lambda.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ensureMessageTable, LOCAL_AWS, startLocalEngine } from './local-engine.ts';
import { createReceiverServer } from './receiver-server.ts';

/** A port from the environment, or the default; anything else stops the start with the fix. */
function portFrom(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number from 0 to 65535, not "${value}"`);
  }
  return port;
}

const host = '127.0.0.1';
const port = portFrom('PORT', 3000);
const dynamoPort = portFrom('DYNAMODB_PORT', 8000);
const dataDir = resolve(process.env.DATA_DIR || '.data');
const tableName = process.env.TABLE_NAME || 'openim-messages';

await mkdir(dataDir, { recursive: true });
const engine = await startLocalEngine({ port: dynamoPort, host, dataDir });
await ensureMessageTable(engine.client, tableName);

// The handler reads these when it loads, exactly as in Lambda; the SDK honours the endpoint.
Object.assign(process.env, {
  TABLE_NAME: tableName,
  AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
  AWS_REGION: LOCAL_AWS.region,
  AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
});
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
const { handler } = await import('../lambda/handler.ts');

const receiver = createReceiverServer({ handler });
const address = await receiver.listen(port, host);
const url = `http://${host}:${address.port}`;

process.stdout.write(`
OpenIM callback receiver listening on ${url}
  storage: DynamoDB-compatible engine at ${engine.endpoint}, table "${tableName}", data in ${dataDir}
  access:  open to anyone who can reach ${host} (no credentials are checked locally)

Point OpenIM at it in config/webhooks.yml:

  url: ${url}
  afterSendSingleMsg:
    enable: true
    timeout: 5

Browse the records with: npm run console
Stop with Ctrl-C; requests in flight are answered and stored first.
`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: finishing requests in flight...\n`);
  await receiver.close();
  await engine.close();
  process.stdout.write('Stopped; every accepted message is stored.\n');
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
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
