/**
 * Warm throughput: invocations per second in one process, with storage answered by a local stub,
 * so only our code and the SDK's request building are measured. The receiver and the baseline run
 * in the same child, in alternating windows, so both see the same machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionLimits } from '../local/lambda-context.ts';
import { runChild } from './child.ts';
import { PROFILE_INTERVAL } from './profile.ts';
import { progress } from './progress.ts';
import { median } from './stats.ts';
import type { ProfiledWindow, WarmConfig, WarmReport, WarmWindow } from './warm-child.ts';

/** The child script that runs warm invocations. */
export const WARM_CHILD = new URL('warm-child.ts', import.meta.url).pathname;

/** A bundle for the warm benchmarks. */
export interface WarmTarget {
  readonly name: string;
  readonly bundlePath: string;
  readonly handlerName: string;
}

/** A running stub DynamoDB endpoint. */
export interface Stub {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts `bench/stub-dynamodb.ts` in its own process, so its work is not counted. */
export async function startStub(): Promise<Stub> {
  const child = spawn(process.execPath, [new URL('stub-dynamodb.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening (\d+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the stub exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The child's bundles, as it loads them. */
export function warmBundles(targets: readonly WarmTarget[]): WarmConfig['bundles'] {
  return targets.map((t) => ({
    name: t.name,
    url: pathToFileURL(t.bundlePath).href,
    handlerName: t.handlerName,
  }));
}

/** Options for {@link measureWarm}. */
export interface WarmOptions {
  /** The environment of the child (the function's, pointed at the stub). */
  readonly env: Readonly<Record<string, string>>;
  /** The function's memory and timeout, passed in the context. */
  readonly limits: FunctionLimits;
  /** Alternating windows per target. */
  readonly rounds: number;
  /** Length of each window, in ms. */
  readonly windowMs: number;
  /** Warm-up per target before the first window, in ms. */
  readonly warmupMs: number;
}

/** Runs the targets in alternating windows in one child (log lines discarded); windows by name. */
export async function measureWarm(
  targets: readonly WarmTarget[],
  { env, limits, rounds, windowMs, warmupMs }: WarmOptions,
): Promise<Record<string, WarmWindow[]>> {
  const config: WarmConfig = {
    mode: 'compare',
    bundles: warmBundles(targets),
    limits,
    warmupMs,
    rounds,
    windowMs,
  };
  const { result } = await runChild<WarmReport>(WARM_CHILD, [JSON.stringify(config)], { env });
  const byName: Record<string, WarmWindow[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (const window of result.windows ?? []) byName[window.name]?.push(window);
  progress(
    `  warm: ${targets
      .map(
        (t) => `${t.name} ${median((byName[t.name] ?? []).map((w) => w.opsPerSec)).toFixed(0)}/s`,
      )
      .join(', ')}`,
  );
  return byName;
}

/** A profiled warm run: the profile file and each target's window in it. */
export interface WarmProfile {
  readonly file: string;
  readonly windows: ProfiledWindow[];
}

/** Runs each target for `windowMs` after a warm-up under `node --cpu-prof`. */
export async function profileWarm(
  targets: readonly WarmTarget[],
  {
    env,
    limits,
    windowMs,
    warmupMs,
    profileDir,
  }: Omit<WarmOptions, 'rounds'> & {
    readonly profileDir: string;
  },
): Promise<WarmProfile> {
  const config: WarmConfig = {
    mode: 'profile',
    bundles: warmBundles(targets),
    limits,
    warmupMs,
    windowMs,
  };
  const name = 'warm.cpuprofile';
  const { result } = await runChild<WarmReport>(WARM_CHILD, [JSON.stringify(config)], {
    env,
    nodeArgs: [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=${name}`,
      PROFILE_INTERVAL,
    ],
  });
  return { file: join(profileDir, name), windows: result.profileWindows ?? [] };
}
