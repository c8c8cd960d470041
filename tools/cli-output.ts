/** How the table tools print: a readable table on a terminal, JSON Lines when piped or asked. */

/** Whether to print JSON Lines: with `--json`, or whenever stdout is not a terminal. */
export function wantsJson(json: boolean | undefined): boolean {
  return json === true || !process.stdout.isTTY;
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
