/** Benchmark children: fresh Node processes that report one JSON result on fd 3. */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from './progress.ts';

/** How to run a child; `env` is its whole environment, as nothing is inherited in Lambda. */
export interface ChildOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Where the child's stdout (the function's log lines) goes; discarded when unset. */
  readonly stdoutFile?: string;
}

const PROGRESS_PREFIX = '@progress ';

/** In a child: sends one progress line to the benchmark, which shows it on its stderr. */
export function reportProgress(message: string): void {
  process.stderr.write(`${PROGRESS_PREFIX}${message}\n`);
}

/** Node options that leave a CPU profile of the process under `dir/name`; none without `dir`. */
export function cpuProfArgs(dir: string | undefined, name: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`] : [];
}

/** Runs `node <nodeArgs> <script> <args>`; its fd-3 JSON, and the time from spawn to exit. */
export function runChild<T>(
  script: string,
  args: readonly string[],
  { env, nodeArgs = [], cwd, timeoutMs = 120_000, stdoutFile }: ChildOptions,
): Promise<{ result: T; wallMs: number }> {
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
    let errors = '';
    let pending = '';
    // Lines a child marks as progress are shown as they come; the rest explain a failure.
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(PROGRESS_PREFIX)) progress(`  ${line.slice(PROGRESS_PREFIX.length)}`);
        else errors += `${line}\n`;
      }
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && report)
        resolve({ result: JSON.parse(report) as T, wallMs: performance.now() - started });
      else reject(new Error(`${script} failed (exit ${code ?? signal}):\n${errors}${pending}`));
    });
  });
}
