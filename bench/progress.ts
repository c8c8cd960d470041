/** Progress lines on stderr, stamped with the time since the benchmark started. */
const started = performance.now();

/** Seconds since the benchmark started. */
export function elapsedSeconds(): number {
  return (performance.now() - started) / 1000;
}

/** Writes one progress line to stderr. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${elapsedSeconds().toFixed(1).padStart(6)}s] ${message}\n`);
}
