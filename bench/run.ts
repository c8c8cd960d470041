/**
 * `npm run bench`: measures the receiver against its baselines on this machine, and writes
 * `bench-results.json` and the generated section of `BENCHMARKS.md`; progress goes to stderr.
 * `--quick` runs every measurement with tiny samples and prints the section instead of writing;
 * `--profile DIR` does the same and leaves a CPU profile of every process, and the bundles, in DIR.
 * A missed target does not fail a run (the machine is noisy); a broken measurement does.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureArchiveTables, startLocalEngine } from '../local/local-engine.ts';
import { buildBundle, composition, REPO_ROOT, synthesizeReceiver } from './bundles.ts';
import { cpuProfArgs } from './child.ts';
import { measureColdStarts } from './cold-start.ts';
import { measureEndToEnd } from './e2e.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { elapsedSeconds, progress } from './progress.ts';
import {
  localTableNames,
  RECEIVER_ENTRY,
  RECEIVER_EXTERNAL,
  SIGNING_HASH,
} from './receiver-code.ts';
import { measureReconcile } from './reconcile.ts';
import { assertFinite, describeMachine, type Measurements, resultsJson } from './results.ts';
import { renderResults, replaceResults } from './results-section.ts';
import { measureLeak, measureWarm, startStub } from './warm.ts';

const { values: options } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, profile: { type: 'string' } },
});
const quick = options.quick;
const profileDir = options.profile === undefined ? undefined : resolve(options.profile);
const concurrencies = [2, 32];

/** How much of each measurement to run: the full sizes are what kept the medians steady. */
const PLAN = quick
  ? {
      coldRounds: 2,
      warm: { rounds: 2, windowMs: 100, warmupMs: 200 },
      leak: { invocations: 2_000, checkpoints: 2, warmupInvocations: 500 },
      e2e: { concurrencies, rounds: 2, windowMs: 200, warmupMs: 100, steadyWarmupMs: 300 },
      reconcile: { messages: [500, 2_000] as const },
    }
  : {
      coldRounds: 40,
      warm: { rounds: 40, windowMs: 300, warmupMs: 1500 },
      leak: { invocations: 100_000, checkpoints: 5, warmupInvocations: 10_000 },
      e2e: { concurrencies, rounds: 15, windowMs: 1000, warmupMs: 1000, steadyWarmupMs: 5000 },
      reconcile: { messages: [10_000, 100_000] as const },
    };

/** The commit measured, and how many files under the code folders differ from it. */
function sourceState(): Measurements['source'] {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
  try {
    const changed = git('status', '--porcelain', '--', 'lambda', 'local', 'infra');
    const uncommittedFiles = changed.split('\n').filter(Boolean).length;
    return { commit: git('rev-parse', '--short', 'HEAD').trim(), uncommittedFiles };
  } catch {
    return { commit: 'unknown (not a git checkout)', uncommittedFiles: 0 };
  }
}

const benchmarksFile = join(REPO_ROOT, 'BENCHMARKS.md');
const writesRepo = !quick && profileDir === undefined;
// Find out now, not after minutes of measuring, that the file has lost its markers.
if (writesRepo) replaceResults(await readFile(benchmarksFile, 'utf8'), '');
const startedAt = new Date().toISOString();
const loadBefore = loadavg();
const workDir = profileDir ?? (await mkdtemp(join(tmpdir(), 'openim-bench-')));
await mkdir(workDir, { recursive: true });
progress(`plan: ${JSON.stringify(PLAN)}; scratch in ${workDir}`);
try {
  progress('synthesizing the real app with bundling (CDK + esbuild), and the other bundles');
  const fn = await synthesizeReceiver(join(workDir, 'cdk.out'));
  const bundle = (entry: string, dir: string, changes?: Parameters<typeof buildBundle>[2]) =>
    buildBundle(entry, join(workDir, dir), changes);
  const external = [...RECEIVER_EXTERNAL];
  const rebuilt = await bundle(RECEIVER_ENTRY, 'rebuilt', { external });
  const baseline = await bundle('bench/baseline-handler.ts', 'baseline');
  const requiredStack = await bundle('bench/required-stack-handler.ts', 'required-stack');
  const sdkExternal = await bundle(RECEIVER_ENTRY, 'sdk-external', {
    external: ['@aws-sdk/*', '@smithy/*'],
  });
  // The receiver as it would be without lambda/sha256.ts: its clients sign with the SDK's hash.
  const sdkSigning = await bundle(RECEIVER_ENTRY, 'sdk-signing', {
    substitute: SIGNING_HASH,
    external,
  });
  const [ours, cdks] = await Promise.all([readFile(rebuilt.path), readFile(fn.bundlePath)]);
  const rebuildMatches = ours.equals(cdks);
  progress(`  the rebuild ${rebuildMatches ? 'matches' : 'DIFFERS FROM'} the CDK's bundle`);
  const limits = { memoryMB: fn.memorySize, timeoutSeconds: fn.timeoutSeconds };

  const engine = await startLocalEngine();
  await ensureArchiveTables(engine.client, localTableNames('messages'));
  const { env, notes } = lambdaEnvironment(fn, 'messages', engine.endpoint);
  for (const note of notes) progress(`  note: ${note}`);
  const variant = (name: string, bundlePath: string, nodeArgs: string[] = []) => {
    const args = [...nodeArgs, ...cpuProfArgs(profileDir, `cold-${name}`)];
    return { name, bundlePath, handlerName: fn.handlerName, env, nodeArgs: args };
  };
  progress(`cold starts: ${PLAN.coldRounds} rounds`);
  const cold = await measureColdStarts(
    [
      variant('receiver', fn.bundlePath),
      variant('baseline', baseline.path),
      variant('requiredStack', requiredStack.path),
      variant('sdkExternal', sdkExternal.path),
      variant('sourceMaps', fn.bundlePath, ['--enable-source-maps']),
    ],
    PLAN.coldRounds,
    limits,
    workDir,
  );
  await engine.close();

  const stub = await startStub();
  const warmSetup = {
    bundles: { receiver: fn.bundlePath, baseline: baseline.path, sdkSigning: sdkSigning.path },
    handlerName: fn.handlerName,
    limits,
    env: lambdaEnvironment(fn, 'messages', stub.endpoint).env,
  };
  progress(`warm: ${PLAN.warm.rounds} alternating windows of ${PLAN.warm.windowMs} ms each`);
  const warm = await measureWarm(warmSetup, PLAN.warm, cpuProfArgs(profileDir, 'warm'));
  progress(`leak check: ${PLAN.leak.invocations} warm invocations (node --expose-gc)`);
  const logFile = join(workDir, 'leak-stdout.log');
  // The receiver alone: another bundle in the process would change what its memory measures.
  const receiverOnly = { ...warmSetup, bundles: { receiver: fn.bundlePath } };
  const leak = await measureLeak(receiverOnly, PLAN.leak, logFile, cpuProfArgs(profileDir, 'leak'));
  stub.stop();

  progress(`end to end through npm start: ${concurrencies.join(' and ')} in flight`);
  const e2e = await measureEndToEnd(PLAN.e2e, cpuProfArgs(profileDir, 'npm-start').join(' '));

  progress(`reconcile against the fake OpenIM: ${PLAN.reconcile.messages.join(' and ')} seqs`);
  const reconcile = await measureReconcile(PLAN.reconcile, cpuProfArgs(profileDir, 'reconcile'));

  const flags = `${quick ? ' --quick' : ''}${profileDir ? ' --profile DIR' : ''}`;
  const measurements: Measurements = {
    command: `npm run bench${flags ? ` --${flags}` : ''}`,
    plan: PLAN,
    startedAt,
    totalSeconds: elapsedSeconds(),
    machine: describeMachine(loadBefore),
    source: sourceState(),
    fn,
    bundles: { receiver: rebuilt, baseline, requiredStack, sdkExternal },
    rebuildMatches,
    composition: composition(rebuilt.metafile),
    cold,
    warm,
    leak,
    e2e,
    reconcile,
  };
  const results = resultsJson(measurements);
  assertFinite(results);
  const section = renderResults(measurements, results);
  if (writesRepo) {
    await writeFile(join(REPO_ROOT, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
    const markdown = await readFile(benchmarksFile, 'utf8');
    await writeFile(benchmarksFile, replaceResults(markdown, section));
  } else {
    process.stdout.write(`${section}\n`);
  }
  for (const [name, { pass, value, target }] of Object.entries(results.targets)) {
    progress(`  ${pass ? 'met' : 'MISSED'} ${name} = ${value} (target ${target})`);
  }
  progress(`done in ${elapsedSeconds().toFixed(0)} s${writesRepo ? '; wrote the results' : ''}`);
} finally {
  if (!profileDir) await rm(workDir, { recursive: true, force: true });
}
