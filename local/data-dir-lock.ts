/**
 * One receiver per data folder: the engine's LevelDB store cannot be shared, and a second process
 * on it would fail on its first write. A PID file turns that into a clear refusal at start.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process with this ID is running (EPERM: it runs, as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `dataDir` for this process; resolves with a function that releases it. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const pidFile = join(dataDir, 'receiver.pid');
  for (;;) {
    try {
      await writeFile(pidFile, String(process.pid), { flag: 'wx' });
      return () => rm(pidFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new Error(
        `${dataDir} is in use by another receiver (process ${holder}). Stop it, or set DATA_DIR to another folder.`,
      );
    }
    // The last holder is gone without cleaning up: the folder is free.
    await rm(pidFile, { force: true });
  }
}
