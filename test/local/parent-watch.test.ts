import { describe, expect, it } from 'vitest';
import { onParentGone } from '../../local/parent-watch.ts';

/** Resolves after `ms`. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('onParentGone', () => {
  it('calls back once when the process is given a new parent, as POSIX does to an orphan', async () => {
    // GIVEN a process started by 4242
    let current = 4242;
    let calls = 0;
    onParentGone(() => (calls += 1), {
      parent: 4242,
      intervalMs: 5,
      parentPid: () => current,
      isRunning: () => true,
    });
    await sleep(30);
    expect(calls).toBe(0);

    // WHEN the parent dies and init adopts the process
    current = 1;
    await sleep(30);

    // THEN
    expect(calls).toBe(1);
  });

  it('calls back at the first look when the parent ended before the watch began', async () => {
    // GIVEN a parent that was ended while the process was still starting
    let calls = 0;

    // WHEN the watch begins
    onParentGone(() => (calls += 1), {
      parent: 4242,
      intervalMs: 5,
      parentPid: () => 1,
      isRunning: () => false,
    });
    await sleep(30);

    // THEN
    expect(calls).toBe(1);
  });

  it('calls back when the parent no longer runs though its ID stays, as on Windows', async () => {
    let running = true;
    let calls = 0;
    onParentGone(() => (calls += 1), {
      parent: 4242,
      intervalMs: 5,
      parentPid: () => 4242,
      isRunning: (pid) => pid === 4242 && running,
    });

    running = false;
    await sleep(30);

    expect(calls).toBe(1);
  });

  it('watches nothing when started by PID 1 (init, or a container), and can be stopped', async () => {
    let calls = 0;
    onParentGone(() => (calls += 1), { parent: 1, intervalMs: 5, parentPid: () => 7 });
    const stop = onParentGone(() => (calls += 1), {
      parent: 4242,
      intervalMs: 5,
      parentPid: () => 1,
      isRunning: () => false,
    });
    stop();

    await sleep(30);

    expect(calls).toBe(0);
  });
});
