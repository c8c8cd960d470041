/**
 * Warm throughput and the leak check, against a stub that answers every `PutItem` with `{}`: only
 * our code and the SDK's request building, signing and parsing are measured. The receiver and the
 * baseline run in one child, in alternating windows, so both see the same machine.
 */
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { FunctionLimits } from '../local/lambda-context.ts';
import { type ChildOptions, runChild } from './child.ts';
import { progress } from './progress.ts';
import { SUCCESS_BODY } from './receiver-code.ts';
import { median } from './stats.ts';
import type { WarmMode, WarmReport, WarmWindow } from './warm-child.ts';

/** The bundles a warm child loads, and how it runs them. */
export interface WarmSetup {
  /** Bundle files by name. */
  readonly bundles: Readonly<Record<string, string>>;
  readonly handlerName: string;
  readonly limits: FunctionLimits;
  /** The function's environment, pointed at the stub. */
  readonly env: Readonly<Record<string, string>>;
}

/** What the leak check found: memory at each checkpoint, growth in MB, log bytes per call. */
export type LeakResult = Awaited<ReturnType<typeof measureLeak>>;

/** Starts the stub here: this process idles while a child measures, so the stub's work is not counted. */
export async function startStub(): Promise<{ endpoint: string; stop(): void }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    request.resume().on('end', () => {
      const headers = { 'content-type': 'application/x-amz-json-1.0', 'content-length': '2' };
      response.writeHead(200, headers).end('{}');
    });
  });
  await once(server.listen(0, '127.0.0.1'), 'listening');
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.close().closeAllConnections() };
}

/** Runs `bench/warm-child.ts` in `mode`, and resolves with its report. */
async function runWarmChild(setup: WarmSetup, mode: WarmMode, options: Omit<ChildOptions, 'env'>) {
  const bundles = Object.entries(setup.bundles).map(([name, path]) => ({
    name,
    url: pathToFileURL(path).href,
  }));
  const { handlerName, limits } = setup;
  const config = { ...mode, bundles, handlerName, limits, successBody: SUCCESS_BODY };
  const script = new URL('warm-child.ts', import.meta.url).pathname;
  const args = [JSON.stringify(config)];
  return (await runChild<WarmReport>(script, args, { ...options, env: setup.env })).result;
}

/** Runs the bundles in alternating windows in one child (logs discarded); windows by name. */
export async function measureWarm(
  setup: WarmSetup,
  plan: Record<'rounds' | 'windowMs' | 'warmupMs', number>,
  nodeArgs: readonly string[],
): Promise<Record<string, WarmWindow[]>> {
  const { windows } = await runWarmChild(setup, { mode: 'compare', ...plan }, { nodeArgs });
  const byName: Record<string, WarmWindow[]> = {};
  for (const name of Object.keys(setup.bundles)) {
    byName[name] = windows.filter((w) => w.name === name);
    progress(`  warm: ${name} ${median(byName[name].map((w) => w.opsPerSec)).toFixed(0)}/s`);
  }
  return byName;
}

/** Runs the (one) bundle for `invocations` after a warm-up, reading memory at checkpoints. */
export async function measureLeak(
  setup: WarmSetup,
  plan: Record<'invocations' | 'checkpoints' | 'warmupInvocations', number>,
  logFile: string,
  nodeArgs: readonly string[],
) {
  const checkpoints = Array.from({ length: plan.checkpoints }, (_, i) =>
    Math.round(((i + 1) * plan.invocations) / plan.checkpoints),
  );
  const mode: WarmMode = { mode: 'leak', warmupInvocations: plan.warmupInvocations, checkpoints };
  const childOptions = { nodeArgs: ['--expose-gc', ...nodeArgs], timeoutMs: 300_000 };
  const report = await runWarmChild(setup, mode, { ...childOptions, stdoutFile: logFile });
  const [first, second, last] = [0, 1, -1].map((i) => report.checkpoints.at(i));
  if (!first || !second || !last) throw new Error('the leak check reported too few checkpoints');
  return {
    checkpoints: report.checkpoints,
    rssGrowthMB: last.rssMB - first.rssMB,
    heapGrowthMB: last.heapUsedMB - first.heapUsedMB,
    // A leak keeps growing from checkpoint to checkpoint; settling shows as one early step.
    rssGrowthSettledMB: last.rssMB - second.rssMB,
    logBytesPerInvocation: (await stat(logFile)).size / report.invocations,
  };
}
