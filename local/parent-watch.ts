/**
 * Noticing that the process which started the receiver is gone. `npm start` runs
 * `sh -c "node local/start.ts"`, and npm passes SIGTERM on to that shell only; Debian's sh (dash)
 * neither replaces itself with node nor passes the signal on, so `kill -TERM <npm>` left the
 * receiver orphaned, still serving and holding its ports and data folder. Watching for the
 * orphaning works whatever the shell or runner (sh, bash, cmd.exe, npx, pnpm) and whatever ended
 * the parent, where an `exec` in the script would only fix POSIX shells.
 */
import { isRunning } from './data-dir-lock.ts';

/** Options for {@link onParentGone}; tests replace the process lookups. */
export interface ParentWatchOptions {
  /** How often to look, in ms. @default 500 */
  readonly intervalMs?: number;
  /** The current parent's process ID. @default () => process.ppid */
  readonly parentPid?: () => number;
  /** Whether a process runs. @default kill(pid, 0) */
  readonly isRunning?: (pid: number) => boolean;
}

/**
 * Calls `onGone` once, soon after the parent process ends; resolves nothing and keeps no event loop
 * alive. Returns a function that stops watching. Without a parent to watch (started by PID 1, as in
 * a container or by init) it watches nothing.
 */
export function onParentGone(onGone: () => void, options: ParentWatchOptions = {}): () => void {
  const {
    intervalMs = 500,
    parentPid = () => process.ppid,
    isRunning: alive = isRunning,
  } = options;
  const parent = parentPid();
  if (parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    // POSIX gives an orphan a new parent (init or a subreaper); Windows keeps the old ID.
    if (parentPid() === parent && alive(parent)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
