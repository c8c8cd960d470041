/**
 * How the tools print and what their `main` takes: a readable table on a terminal, JSON Lines when
 * piped or asked; results on stdout, progress and problems on stderr.
 */
import type { Environment } from '../local/local-settings.ts';

/** Where a tool writes: `process.stdout`, `process.stderr`, or a test's capture. */
export interface Output {
  write(text: string): unknown;
  /** Whether it is a terminal; unset counts as not. */
  readonly isTTY?: boolean | undefined;
}

/** What every tool's `main(argv, options)` takes; tests pass their own. */
export interface MainOptions<Clients> {
  /** AWS clients for a region (`--region`, or the SDK's default when undefined). */
  readonly clients?: (region: string | undefined) => Clients;
  /** Where results go. @default process.stdout */
  readonly stdout?: Output;
  /** Where progress and problems go. @default process.stderr */
  readonly stderr?: Output;
  /** The local settings (`DYNAMODB_PORT`, `TABLE_NAME`, `DATA_DIR`). @default process.env */
  readonly env?: Environment;
}

/** Whether to print JSON Lines: with `--json`, or whenever stdout is not a terminal. */
export function wantsJson(json: boolean | undefined, stdout: Output = process.stdout): boolean {
  return json === true || !stdout.isTTY;
}

/** Rows as an aligned text table with a header; cells are cut to `maxWidth`. */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  maxWidth = 48,
): string {
  const cell = (value: unknown) => {
    const text = String(value ?? '').replace(/\s+/g, ' ');
    return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
  };
  const cells = [columns, ...rows].map((row) => row.map(cell));
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return `${cells
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** A `YYYY-MM-DD` date option, or an error naming the option and the expected form. */
export function parseDay(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new Error(`--${option} must be a date like 2025-05-09, not "${value}"`);
  }
  return value;
}

/**
 * `--from` and `--to` as days, each checked, and refused in one line when `--from` comes after
 * `--to`: every command reads a date range the same way.
 */
export function parseDays(values: {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}): { from: string | undefined; to: string | undefined } {
  const from = parseDay(values.from, 'from');
  const to = parseDay(values.to, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new Error(`--from ${from} is after --to ${to}`);
  }
  return { from, to };
}

/** Today's UTC day, `YYYY-MM-DD`. */
export function today(now: number = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/**
 * A tool's command line, as `parse` reads it; or, when it cannot be read or asks for help, the exit
 * code once that is said: the problem and the usage on stderr (1), or the usage on stdout (0).
 */
export function commandLine<T extends { readonly values: { readonly help?: boolean | undefined } }>(
  tool: string,
  usage: string,
  parse: () => T,
  { stdout, stderr }: { readonly stdout: Output; readonly stderr: Output },
  asksHelp: (parsed: T) => boolean = ({ values }) => values.help === true,
): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    stderr.write(`${tool}: ${(error as Error).message}\n${usage}\n`);
    return 1;
  }
  if (!asksHelp(parsed)) return parsed;
  stdout.write(`${usage}\n`);
  return 0;
}
