/** Running the project's own commands as a user would, and reading what they print. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A running command and everything it has printed so far. */
export interface Running {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** stdout alone so far. */
  stdout(): string;
  /** stderr alone so far. */
  errors(): string;
  /** Resolves with the first match of `pattern` in the output, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the command ends by itself. */
  exitCode(): Promise<number | null>;
  /** Resolves with the exit code once the command has ended and its output is all read. */
  closed(): Promise<number | null>;
  /** Sends `signal` to the whole process group, as Ctrl-C does, and resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `command args` in the repository root with extra environment variables. */
export function run(command: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(command, args, {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a signal reaches npm and the program it runs, as Ctrl-C does.
    detached: true,
  });
  let text = '';
  let printed = '';
  let errors = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = once(child, 'exit');
  const closed = once(child, 'close');
  return {
    child,
    output: () => text,
    stdout: () => printed,
    errors: () => errors,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        exited.then(() => {
          if (listeners.has(check)) {
            cleanup();
            reject(new Error(`exited before ${pattern}; output:\n${text}`));
          }
        });
        check();
      });
    },
    exitCode: () => exited.then(([code]) => code as number | null),
    closed: () => closed.then(([code]) => code as number | null),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(-child.pid, signal);
      }
      await exited;
      // npm may exit before the program it runs: wait until every writer has closed the output.
      if (child.stdout && !child.stdout.readableEnded) await once(child.stdout, 'end');
    },
  };
}

/** What a command that ran to its end printed, and its exit code. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command args` in the repository root with exactly `env` (nothing inherited, as in Lambda
 * or a clean shell), to its end.
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: new URL('../..', import.meta.url).pathname,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}
