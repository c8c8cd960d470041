/** Running a benchmark child: a fresh Node process that reports one JSON result on fd 3. */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { progress } from './progress.ts';

/** Options for {@link runChild}. */
export interface ChildOptions {
  /** The child's whole environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Node options before the script, e.g. `--expose-gc`. @default [] */
  readonly nodeArgs?: readonly string[];
  /** Working directory. @default the current one */
  readonly cwd?: string;
  /** Give up after this long. @default 120_000 */
  readonly timeoutMs?: number;
  /** Where the child's stdout (the function's log lines) goes. @default discarded */
  readonly stdoutFile?: string;
}

/** Prefix of the stderr lines a child writes as progress (see {@link reportProgress}). */
const PROGRESS_PREFIX = '@progress ';

/** In a child: sends one progress line to the benchmark, which shows it on its stderr. */
export function reportProgress(message: string): void {
  process.stderr.write(`${PROGRESS_PREFIX}${message}\n`);
}

/** What a child reported, and how long it took from spawn to exit. */
export interface ChildResult<T> {
  readonly result: T;
  readonly wallMs: number;
}

/** Runs `node <nodeArgs> <script> <args>`; stdout (the function's logs) is discarded. */
export function runChild<T>(
  script: string,
  args: readonly string[],
  { env, nodeArgs = [], cwd, timeoutMs = 120_000, stdoutFile }: ChildOptions,
): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    const stdout = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      env,
      ...(cwd ? { cwd } : {}),
      stdio: ['ignore', stdout, 'pipe', 'pipe'],
    });
    if (typeof stdout === 'number') closeSync(stdout);
    let report = '';
    let stderr = '';
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(PROGRESS_PREFIX)) progress(`  ${line.slice(PROGRESS_PREFIX.length)}`);
        else stderr += `${line}\n`;
      }
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (code === 0 && report) {
        resolve({ result: JSON.parse(report) as T, wallMs });
      } else {
        reject(
          new Error(
            `${script} failed (exit ${code ?? signal}):\n${`${stderr}${pending}`.trim() || '(no output on stderr)'}`,
          ),
        );
      }
    });
  });
}
