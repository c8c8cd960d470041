/**
 * Noticing that the process which started the receiver is gone. `npm start` runs
 * `sh -c "node local/start.ts"`, and npm passes SIGTERM on to that shell only; Debian's sh (dash)
 * neither replaces itself with node nor passes the signal on, so `kill -TERM <npm>` left the
 * receiver orphaned, still serving and holding its ports and data folder. Watching for the
 * orphaning works whatever the shell or runner (sh, bash, cmd.exe, npx, pnpm) and whatever ended
 * the parent, where an `exec` in the script would only fix POSIX shells.
 */
import { isRunning } from './data-dir-lock.ts';

/**
 * The parent when this module loaded, as the process starts: a supervisor may end npm while the
 * receiver is still starting, and a parent read after that would already be init.
 */
const PARENT_AT_START = process.ppid;

/** Options for {@link onParentGone}; tests replace the process lookups. */
export interface ParentWatchOptions {
  /** The parent to watch. @default the parent when this module loaded */
  readonly parent?: number;
  /** How often to look, in ms. @default 500 */
  readonly intervalMs?: number;
  /** The current parent's process ID. @default () => process.ppid */
  readonly parentPid?: () => number;
  /** Whether a process runs. @default kill(pid, 0) */
  readonly isRunning?: (pid: number) => boolean;
}

/**
 * Calls `onGone` once, soon after the parent process ends (at the first look, if it ended
 * already); keeps no event loop alive. Returns a function that stops watching. Without a parent to
 * watch (started by PID 1, as in a container or by init) it watches nothing.
 */
export function onParentGone(onGone: () => void, options: ParentWatchOptions = {}): () => void {
  const {
    parent = PARENT_AT_START,
    intervalMs = 500,
    parentPid = () => process.ppid,
    isRunning: alive = isRunning,
  } = options;
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
