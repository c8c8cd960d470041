/**
 * `npm run console`: dynamodb-admin on the local engine, to browse the records in a browser. It
 * runs in this process (not as a child to pass signals on to), on the ports the local settings
 * name, and like the engine it stays on loopback: it reads and deletes without asking anyone.
 */
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer } from 'dynamodb-admin';
import { LOCAL_AWS } from './local-engine.ts';
import { ENGINE_HOST, localConsolePort, localEngineEndpoint } from './local-settings.ts';
import { onParentGone } from './parent-watch.ts';

/** Ends the start with a one-line reason a person can act on. */
function fail(error: unknown): never {
  const reason =
    (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? 'its port is already in use: stop what uses it, or set CONSOLE_PORT'
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`Cannot start the console: ${reason}\n`);
  process.exit(1);
}

const { port, endpoint } = (() => {
  try {
    return { port: localConsolePort(), endpoint: localEngineEndpoint() };
  } catch (error) {
    return fail(error);
  }
})();

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
const server: Server = createServer({ dynamoDbClient: client }).listen(port, ENGINE_HOST);
server.once('error', fail);
server.once('listening', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(
    `dynamodb-admin listening on http://${ENGINE_HOST}:${bound}, showing the engine at ${endpoint}\n` +
      '(start the receiver with npm start first; stop this with Ctrl-C)\n',
  );
});

/** Closes the console and exits. */
function stop(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  client.destroy();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
// `kill -TERM <npm>` never reaches this process: see parent-watch.ts.
onParentGone(stop);
