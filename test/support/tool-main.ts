/** Running a tool's `main(argv, options)` in-process, as a terminal or a pipe would see it. */
import type { MainOptions } from '../../tools/cli-output.ts';

/** What a tool run printed, and its exit code. */
export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON Lines, parsed. */
  readonly json: Record<string, unknown>[];
}

/** Runs `main` with `argv`, capturing stdout and stderr; `tty` makes both look like a terminal. */
export async function runMain<Clients>(
  main: (argv: readonly string[], options: MainOptions<Clients>) => Promise<number>,
  argv: readonly string[],
  {
    tty = false,
    ...options
  }: Omit<MainOptions<Clients>, 'stdout' | 'stderr'> & { tty?: boolean } = {},
): Promise<ToolRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    ...options,
    stdout: { isTTY: tty, write: (text: string) => (stdout += text) },
    stderr: { isTTY: tty, write: (text: string) => (stderr += text) },
  });
  const json = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, stdout, stderr, json };
}
