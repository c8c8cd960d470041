/**
 * `npm run bench:paired -- --before <commit>`: is a change worth keeping? Measures the receiver of the
 * working tree (`after`) against the receiver of an earlier commit (`before`) and against an
 * identical copy of itself (`copy`, the A/A pair that shows the noise), in the same alternating
 * windows, so that the machine's drift hits all of them alike. A change is kept when `after` over
 * `before` lies beyond the spread of `after` over `copy` (see BENCHMARKS.md, "Paired runs").
 *
 * `--kind warm` (the default) runs `measureWarm` with the three receivers and the baseline against
 * the stub; `--kind cold` cold-starts them against the in-memory engine; `--kind e2e` starts
 * `npm start` three times (the working tree twice, the commit once) and alternates load windows
 * across them, reading each process's CPU time per message from `/proc` as well as its rate.
 * `--runs N` repeats the measurement in fresh processes. `--required-stack` (warm) adds the required
 * libraries alone (`bench/required-stack-handler.ts`) to the same windows. Prints one line per run
 * on stdout, then every run as JSON.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureArchiveTables, startLocalEngine } from '../local/local-engine.ts';
import { LOCAL_DEFAULTS } from '../local/local-settings.ts';
import { type BundleChanges, buildBundle, REPO_ROOT, synthesizeReceiver } from './bundles.ts';
import { measureColdStarts } from './cold-start.ts';
import { closedLoop } from './e2e.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { postCallback, startNpmStart } from './npm-start.ts';
import { progress } from './progress.ts';
import { localTableNames, RECEIVER_ENTRY, RECEIVER_EXTERNAL } from './receiver-code.ts';
import { median, medianRatio, round } from './stats.ts';
import { measureWarm, startStub } from './warm.ts';

const { values: options } = parseArgs({
  options: {
    before: { type: 'string' },
    kind: { type: 'string', default: 'warm' },
    runs: { type: 'string', default: '1' },
    rounds: { type: 'string' },
    'window-ms': { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    'required-stack': { type: 'boolean', default: false },
  },
});
const kind = options.kind;
if (!options.before || !['warm', 'cold', 'e2e'].includes(kind)) {
  process.stderr.write(
    'usage: npm run bench:paired -- --before <commit> [--kind warm|cold|e2e] [--runs N] ' +
      '[--rounds N] [--window-ms MS] [--concurrency N (e2e)] [--required-stack (warm)]\n',
  );
  process.exit(2);
}
const before = options.before;
const runs = Number(options.runs);
/** The full run's sizes, so that a paired figure compares with a full run's spread. */
const DEFAULTS = {
  warm: { rounds: 40, windowMs: 300 },
  cold: { rounds: 40, windowMs: 0 },
  e2e: { rounds: 15, windowMs: 1_000 },
}[kind as 'warm' | 'cold' | 'e2e'];
const rounds = Number(options.rounds ?? DEFAULTS.rounds);
const windowMs = Number(options['window-ms'] ?? DEFAULTS.windowMs);

/** The receivers every run compares: the working tree, its copy, and the earlier commit. */
const RECEIVERS = ['after', 'copy', 'before'] as const;

/** One run's paired figures: per-round ratios (medians) and the medians they come from. */
type RunFigures = Record<string, number>;

/** A receiver's per-round samples of one measure, by its name in {@link RECEIVERS}. */
type Samples = (name: string) => number[];

/** CPU per unit of work, `before` and the copy over `after`: above 1 where `after` uses less. */
function cpuPairs(cpu: Samples): RunFigures {
  return {
    cpuBeforeOverAfter: medianRatio(cpu('before'), cpu('after')),
    cpuCopyOverAfter: medianRatio(cpu('copy'), cpu('after')),
  };
}

/** Rates and CPU, `after` against `before` and against its copy: above 1 where `after` does better. */
function ratePairs(rate: Samples, cpu: Samples): RunFigures {
  return {
    afterOverBefore: medianRatio(rate('after'), rate('before')),
    afterOverCopy: medianRatio(rate('after'), rate('copy')),
    ...cpuPairs(cpu),
  };
}

/** Extracts `commit` into `dir`, with the shared `node_modules`, and returns `dir`. */
async function checkout(commit: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', commit], { cwd: REPO_ROOT, maxBuffer: 2 ** 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What the CDK leaves out of the receiver's bundle in the checkout at `root`, if it names any. */
async function externalOf(root: string): Promise<string[]> {
  const file = join(root, 'bench', 'receiver-code.ts');
  const code = (await import(pathToFileURL(file).href)) as {
    RECEIVER_EXTERNAL?: readonly string[];
  };
  return [...(code.RECEIVER_EXTERNAL ?? [])];
}

/** Warm windows of the three receivers and the baseline, in one child, against the stub. */
async function warmRun(
  bundles: Record<string, string>,
  fn: Awaited<ReturnType<typeof synthesizeReceiver>>,
): Promise<RunFigures> {
  const stub = await startStub();
  try {
    const setup = {
      bundles,
      handlerName: fn.handlerName,
      limits: { memoryMB: fn.memorySize, timeoutSeconds: fn.timeoutSeconds },
      env: lambdaEnvironment(fn, 'messages', stub.endpoint).env,
    };
    const windows = await measureWarm(setup, { rounds, windowMs, warmupMs: 1_500 }, []);
    const ops = (name: string) => (windows[name] ?? []).map((w) => w.opsPerSec);
    const cpu = (name: string) => (windows[name] ?? []).map((w) => w.cpuUsPerInvocation);
    return {
      ...ratePairs(ops, cpu),
      cpuAfterUs: median(cpu('after')),
      cpuCopyUs: median(cpu('copy')),
      cpuBeforeUs: median(cpu('before')),
      cpuBaselineUs: median(cpu('baseline')),
      cpuAfterOverBaseline: medianRatio(cpu('after'), cpu('baseline')),
      cpuBeforeOverBaseline: medianRatio(cpu('before'), cpu('baseline')),
      warmRatioAfter: medianRatio(ops('after'), ops('baseline')),
      warmRatioBefore: medianRatio(ops('before'), ops('baseline')),
      ...(windows.requiredStack
        ? {
            cpuRequiredStackOverBaseline: medianRatio(cpu('requiredStack'), cpu('baseline')),
            cpuAfterOverRequiredStack: medianRatio(cpu('after'), cpu('requiredStack')),
          }
        : {}),
    };
  } finally {
    stub.stop();
  }
}

/** Cold starts of the three receivers and the baseline against the in-memory engine. */
async function coldRun(
  bundles: Record<string, string>,
  fn: Awaited<ReturnType<typeof synthesizeReceiver>>,
  workDir: string,
): Promise<RunFigures> {
  const engine = await startLocalEngine();
  try {
    await ensureArchiveTables(engine.client, localTableNames('messages'));
    const { env } = lambdaEnvironment(fn, 'messages', engine.endpoint);
    const variants = Object.entries(bundles).map(([name, bundlePath]) => ({
      name,
      bundlePath,
      handlerName: fn.handlerName,
      env,
    }));
    const limits = { memoryMB: fn.memorySize, timeoutSeconds: fn.timeoutSeconds };
    const samples = await measureColdStarts(variants, rounds, limits, workDir);
    const ms = (name: string) => (samples[name] ?? []).map((s) => s.coldStartMs);
    const cpu = (name: string) => (samples[name] ?? []).map((s) => s.cpuMs);
    return {
      // Times, not rates: above 1 where `after` starts faster.
      beforeOverAfter: medianRatio(ms('before'), ms('after')),
      copyOverAfter: medianRatio(ms('copy'), ms('after')),
      ...cpuPairs(cpu),
      coldRatioAfter: medianRatio(ms('after'), ms('baseline')),
      coldRatioBefore: medianRatio(ms('before'), ms('baseline')),
      afterMs: median(ms('after')),
      beforeMs: median(ms('before')),
      baselineMs: median(ms('baseline')),
    };
  } finally {
    await engine.close();
  }
}

/**
 * CPU time (user and system, every thread: the server, the handler, the engine, V8's and libuv's
 * helpers) that process `pid` has used so far, in µs, from `/proc` (Linux only).
 */
async function processCpuUs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** Linux's unit for `/proc/<pid>/stat` CPU times (`getconf CLK_TCK`), 100 on every common build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Load windows through three `npm start` processes: the working tree twice, the commit once. */
async function e2eRun(roots: Record<string, string>, workDir: string): Promise<RunFigures> {
  const concurrency = Number(options.concurrency);
  const started: Record<string, Awaited<ReturnType<typeof startNpmStart>>> = {};
  try {
    for (const name of RECEIVERS) {
      const dir = join(workDir, `e2e-${name}`);
      await mkdir(dir, { recursive: true });
      started[name] = await startNpmStart(
        dir,
        LOCAL_DEFAULTS.tableName,
        '',
        roots[name] ?? REPO_ROOT,
      );
    }
    const agents = Object.fromEntries(
      RECEIVERS.map((name) => [name, new Agent({ keepAlive: true, maxSockets: 32 })]),
    );
    const task = (name: string) => (n: number) =>
      postCallback(agents[name] as Agent, (started[name] as { url: URL }).url, n);
    // As the full run does: enough messages for V8 to optimize each process first.
    for (const name of RECEIVERS) await closedLoop(32, 5_000, task(name));
    const rates: Record<string, number[]> = { after: [], copy: [], before: [] };
    const cpus: Record<string, number[]> = { after: [], copy: [], before: [] };
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? RECEIVERS : [...RECEIVERS].reverse()) {
        const pid = started[name]?.pid;
        const cpuBefore = await processCpuUs(pid);
        const window = await closedLoop(concurrency, windowMs, task(name));
        rates[name]?.push(window.msgsPerSec);
        cpus[name]?.push(((await processCpuUs(pid)) - cpuBefore) / window.messages);
      }
    }
    for (const agent of Object.values(agents)) agent.destroy();
    const of = (name: string) => rates[name] ?? [];
    const cpu = (name: string) => cpus[name] ?? [];
    return {
      ...ratePairs(of, cpu),
      afterMsgsPerSec: median(of('after')),
      copyMsgsPerSec: median(of('copy')),
      beforeMsgsPerSec: median(of('before')),
      cpuAfterUs: median(cpu('after')),
      cpuBeforeUs: median(cpu('before')),
    };
  } finally {
    for (const receiver of Object.values(started)) await receiver.stop();
  }
}

const workDir = await mkdtemp(join(tmpdir(), 'openim-paired-'));
try {
  const beforeRoot = await checkout(before, join(workDir, 'before-tree'));
  const results: RunFigures[] = [];
  const loadBefore = loadavg()[0] ?? 0;
  if (kind === 'e2e') {
    const roots = { after: REPO_ROOT, copy: REPO_ROOT, before: beforeRoot };
    for (let run = 0; run < runs; run++) results.push(await e2eRun(roots, workDir));
  } else {
    const fn = await synthesizeReceiver(join(workDir, 'cdk.out'));
    const build = (name: string, entry: string, changes: BundleChanges = {}) =>
      buildBundle(entry, join(workDir, name), changes);
    const external = [...RECEIVER_EXTERNAL];
    const bundles: Record<string, string> = {
      after: (await build('after', RECEIVER_ENTRY, { external })).path,
      // A second build of the same tree: the same bytes, loaded as a module of its own.
      copy: (await build('copy', RECEIVER_ENTRY, { external })).path,
      before: (
        await build('before', RECEIVER_ENTRY, {
          root: beforeRoot,
          external: await externalOf(beforeRoot),
        })
      ).path,
      baseline: (await build('baseline', 'bench/baseline-handler.ts')).path,
    };
    if (options['required-stack'] && kind === 'warm') {
      // The libraries the design requires and nothing of the receiver's: their share of the gap.
      bundles.requiredStack = (
        await build('required-stack', 'bench/required-stack-handler.ts')
      ).path;
    }
    for (let run = 0; run < runs; run++) {
      results.push(
        kind === 'warm' ? await warmRun(bundles, fn) : await coldRun(bundles, fn, workDir),
      );
    }
  }
  const loadAfter = loadavg()[0] ?? 0;
  for (const [i, figures] of results.entries()) {
    const line = Object.entries(figures)
      .map(([name, value]) => `${name} ${round(value, 3)}`)
      .join(', ');
    process.stdout.write(`${kind} run ${i + 1}: ${line}\n`);
  }
  process.stdout.write(
    `${JSON.stringify({ kind, before, rounds, windowMs, loadBefore, loadAfter, results })}\n`,
  );
  progress(`done; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
