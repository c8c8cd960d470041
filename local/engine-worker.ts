/**
 * The embedded engine's thread: dynalite runs here, off the receiver's event loop, so that on a
 * multi-core machine the engine and the HTTP server with its handler do not take turns on one core.
 */
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { memoizeConditionParses } from './condition-memo.ts';

/** What the main thread asks for. */
const { port, host, dataDir } = workerData as { port: number; host: string; dataDir?: string };

memoizeConditionParses();
const server = dynalite({ createTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
server.once('error', (error) => parentPort?.postMessage({ error: String(error) }));
server.listen(port, host, () => {
  parentPort?.postMessage({ port: (server.address() as AddressInfo).port });
});
parentPort?.on('message', (message: unknown) => {
  if (message !== 'close') return;
  server.close((error) =>
    parentPort?.postMessage({ closed: true, error: error ? String(error) : undefined }),
  );
});
