/**
 * `npm run bench`: proves how close the receiver comes to what the platform allows, on this
 * machine, and writes `BENCHMARKS.md` and `bench-results.json`. Progress goes to stderr.
 *
 * Every comparison runs its baseline in the same run, interleaved with it, because the machine is
 * shared and noisy; figures are medians. `BENCH_QUICK=1` runs a few rounds of each, for a smoke
 * test of the benchmark itself (its figures are not stable).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../infra/settings.ts';
import { DAY_SHARDS, localTableNames, MESSAGES_TABLE } from '../lambda/table-schema.ts';
import { ensureArchiveTables, startLocalEngine } from '../local/local-engine.ts';
import { itemBytes } from './aws-model.ts';
import {
  buildBundle,
  composition,
  linkNodeModules,
  REPO_ROOT,
  sameBytes,
  synthesizeReceiver,
} from './bundles.ts';
import {
  type ColdStartSample,
  type ColdStartVariant,
  coldStartOnce,
  measureColdStarts,
} from './cold-start.ts';
import { measureEndToEnd, profileReceiver } from './e2e.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { measureLeak } from './memory.ts';
import { callbackEvent } from './openim-traffic.ts';
import {
  type CpuProfile,
  loadSourceMaps,
  PROFILE_INTERVAL,
  type ProfileWindow,
  summarizeProfiles,
} from './profile.ts';
import { elapsedSeconds, progress } from './progress.ts';
import { type BenchData, derive, renderMarkdown, resultsJson } from './report.ts';
import { measureWarm, profileWarm, startStub, type WarmTarget } from './warm.ts';

const quick = process.env.BENCH_QUICK === '1';

/** How much of each benchmark to run: enough for stable medians within about six minutes. */
const PLAN = {
  coldRounds: quick ? 4 : 40,
  coldProfileRuns: quick ? 2 : 6,
  warm: { rounds: quick ? 2 : 40, windowMs: 300, warmupMs: quick ? 300 : 1500 },
  warmProfileMs: quick ? 500 : 2000,
  leak: {
    invocations: quick ? 10_000 : 100_000,
    checkpoints: 5,
    warmupInvocations: quick ? 1_000 : 10_000,
  },
  e2e: {
    concurrencies: [2, 32],
    rounds: quick ? 2 : 15,
    windowMs: 1000,
    warmupMs: 1000,
    steadyWarmupMs: quick ? 1000 : 5000,
  },
  e2eProfileMs: quick ? 500 : 2000,
  e2eProfileWarmupMs: quick ? 1000 : 5000,
} as const;

/** The command that produced the report, as a reader would type it. */
const COMMAND = quick ? 'BENCH_QUICK=1 npm run bench' : 'npm run bench';

/** The commit measured, and how many files under the code folders differ from it. */
function sourceState(): BenchData['source'] {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    const changed = git('status', '--porcelain', '--', 'lambda', 'local', 'infra');
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommittedFiles: changed.split('\n').filter(Boolean).length,
    };
  } catch {
    return { commit: 'unknown (not a git checkout)', uncommittedFiles: 0 };
  }
}

/** Reads a profile file. */
async function readProfile(file: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
}

const startedAt = new Date();
const loadBefore = loadavg();
const workDir = await mkdtemp(join(tmpdir(), 'openim-bench-'));
const profileDir = join(workDir, 'profiles');
await mkdir(profileDir);
progress(`plan: ${JSON.stringify(PLAN)}; scratch in ${workDir}`);

try {
  // 1. The deployed bundle, exactly as the CDK builds it.
  progress('synthesizing the real app with bundling (CDK + esbuild)');
  const fn = await synthesizeReceiver(join(workDir, 'cdk.out'));
  const deployedBytes = readFileSync(fn.bundlePath).length;
  progress(`  ${fn.bundlePath}: ${deployedBytes} bytes (synth took ${fn.synthMs.toFixed(0)} ms)`);

  progress('bundling the baseline and the variants with the same esbuild options');
  const rebuilt = await buildBundle({
    entry: 'lambda/handler.ts',
    outdir: join(workDir, 'rebuilt'),
  });
  const rebuildMatches = await sameBytes(rebuilt.path, fn.bundlePath);
  const baseline = await buildBundle({
    entry: 'bench/baseline-handler.ts',
    outdir: join(workDir, 'baseline'),
  });
  const requiredStack = await buildBundle({
    entry: 'bench/required-stack-handler.ts',
    outdir: join(workDir, 'required-stack'),
  });
  const sdkExternal = await buildBundle({
    entry: 'lambda/handler.ts',
    outdir: join(workDir, 'sdk-external'),
    external: ['@aws-sdk/*', '@smithy/*'],
  });
  await linkNodeModules(join(workDir, 'sdk-external'));
  const profiledReceiver = await buildBundle({
    entry: 'lambda/handler.ts',
    outdir: join(workDir, 'profiled-receiver'),
    forProfiling: true,
  });
  const profiledBaseline = await buildBundle({
    entry: 'bench/baseline-handler.ts',
    outdir: join(workDir, 'profiled-baseline'),
    forProfiling: true,
  });
  progress(
    `  rebuild ${rebuildMatches ? 'matches' : 'DIFFERS FROM'} the CDK bundle; baseline ${baseline.bytes} B, SDK external ${sdkExternal.bytes} B`,
  );

  /** What every invocation's context says of the function, from the template. */
  const limits = { memoryMB: fn.memorySize, timeoutSeconds: fn.timeoutSeconds };

  // 2. Cold starts against the local engine (in this process, idle while a child runs).
  const engine = await startLocalEngine();
  const tableName = 'messages';
  await ensureArchiveTables(engine.client, localTableNames(tableName));
  const coldEnv = lambdaEnvironment(fn, { tableName, dynamodbEndpoint: engine.endpoint });
  for (const note of coldEnv.notes) progress(`  note: ${note}`);
  const variant = (name: string, bundlePath: string): ColdStartVariant => ({
    name,
    bundlePath,
    handlerName: fn.handlerName,
    env: coldEnv.env,
  });
  progress(
    `cold starts: ${PLAN.coldRounds} rounds of receiver, baseline, required stack, SDK-external and source maps on`,
  );
  const cold = await measureColdStarts(
    [
      variant('receiver', fn.bundlePath),
      variant('baseline', baseline.path),
      variant('requiredStack', requiredStack.path),
      variant('sdkExternal', sdkExternal.path),
      // The deployed bundle with Node reading its source map, as NODE_OPTIONS could ask.
      { ...variant('sourceMaps', fn.bundlePath), nodeArgs: ['--enable-source-maps'] },
    ],
    {
      rounds: PLAN.coldRounds,
      eventFor: (n) => callbackEvent(n, 'c'),
      workDir,
      limits,
    },
  );

  progress(`profiling cold starts (node --cpu-prof, ${PLAN.coldProfileRuns} runs each)`);
  const coldProfiles: Record<'receiver' | 'baseline', ProfileWindow[]> = {
    receiver: [],
    baseline: [],
  };
  for (let run = 0; run < PLAN.coldProfileRuns; run++) {
    for (const [name, bundle] of [
      ['receiver', profiledReceiver],
      ['baseline', profiledBaseline],
    ] as const) {
      const file = `cold-${name}-${run}.cpuprofile`;
      const sample: ColdStartSample = await coldStartOnce(
        {
          ...variant(name, bundle.path),
          nodeArgs: [
            '--cpu-prof',
            `--cpu-prof-dir=${profileDir}`,
            `--cpu-prof-name=${file}`,
            PROFILE_INTERVAL,
          ],
        },
        callbackEvent(100_000 + run, name === 'receiver' ? 'p' : 'q'),
        join(workDir, 'profile-event.json'),
        limits,
      );
      coldProfiles[name].push({
        profile: await readProfile(join(profileDir, file)),
        windowUs: sample.windowUs,
      });
    }
  }
  const coldMaps = await loadSourceMaps([profiledReceiver.path, profiledBaseline.path]);
  await engine.close();

  // 3. Warm invocations against the stub, the profile of them, and the leak check.
  const stub = await startStub();
  const warmEnv = lambdaEnvironment(fn, { tableName, dynamodbEndpoint: stub.endpoint }).env;
  const targets: WarmTarget[] = [
    { name: 'receiver', bundlePath: fn.bundlePath, handlerName: fn.handlerName },
    { name: 'baseline', bundlePath: baseline.path, handlerName: fn.handlerName },
  ];
  progress(`warm: ${PLAN.warm.rounds} alternating windows of ${PLAN.warm.windowMs} ms each`);
  const warm = await measureWarm(targets, {
    env: warmEnv,
    limits,
    ...PLAN.warm,
  });
  progress(`profiling warm invocations (node --cpu-prof, ${PLAN.warmProfileMs} ms each)`);
  const warmProfile = await profileWarm(targets, {
    env: warmEnv,
    limits,
    windowMs: PLAN.warmProfileMs,
    warmupMs: PLAN.warm.warmupMs,
    profileDir,
  });
  const warmProfileData = await readProfile(warmProfile.file);
  const deployedMaps = await loadSourceMaps([fn.bundlePath, baseline.path]);
  progress(`leak check: ${PLAN.leak.invocations} warm invocations (node --expose-gc)`);
  const leak = await measureLeak(targets[0] as WarmTarget, {
    env: warmEnv,
    limits,
    ...PLAN.leak,
    logFile: join(workDir, 'leak-stdout.log'),
  });
  await stub.stop();

  // 4. End to end through npm start, and a profile of it.
  progress(`end to end through npm start: ${PLAN.e2e.concurrencies.join(' and ')} in flight`);
  const e2e = await measureEndToEnd(PLAN.e2e);
  progress(`profiling npm start under load (node --cpu-prof, ${PLAN.e2eProfileMs} ms)`);
  const receiverProfile = await profileReceiver({
    concurrency: 2,
    windowMs: PLAN.e2eProfileMs,
    warmupMs: PLAN.e2eProfileWarmupMs,
    profileDir,
    interval: PROFILE_INTERVAL,
  });

  // 5. The figures, on paper, and the report.
  const warmWindow = (name: string) =>
    warmProfile.windows.find((w) => w.name === name) ?? {
      windowUs: [0, 0] as const,
      invocations: 1,
    };
  const storedBytes = itemBytes(e2e.storedItem);
  const data: BenchData = {
    command: COMMAND,
    quick,
    plan: PLAN,
    startedAt: startedAt.toISOString(),
    totalSeconds: elapsedSeconds(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGB: totalmem() / 2 ** 30,
      os: `${process.platform} ${release()} (${process.arch})`,
      node: process.version,
      loadBefore,
      loadAfter: loadavg(),
    },
    source: sourceState(),
    fn,
    envNotes: coldEnv.notes,
    bundle: {
      bytes: deployedBytes,
      rebuildMatches,
      baselineBytes: baseline.bytes,
      requiredStackBytes: requiredStack.bytes,
      sdkExternalBytes: sdkExternal.bytes,
      composition: composition(rebuilt.metafile),
    },
    cold,
    warm,
    leak,
    e2e,
    profiles: {
      coldReceiver: summarizeProfiles(coldProfiles.receiver, coldMaps),
      coldBaseline: summarizeProfiles(coldProfiles.baseline, coldMaps),
      warmReceiver: {
        ...summarizeProfiles(
          [{ profile: warmProfileData, windowUs: warmWindow('receiver').windowUs }],
          deployedMaps,
        ),
        invocations: warmWindow('receiver').invocations,
      },
      warmBaseline: {
        ...summarizeProfiles(
          [{ profile: warmProfileData, windowUs: warmWindow('baseline').windowUs }],
          deployedMaps,
        ),
        invocations: warmWindow('baseline').invocations,
      },
      e2eReceiver: {
        ...summarizeProfiles(
          [
            {
              profile: await readProfile(receiverProfile.file),
              windowUs: receiverProfile.windowUs,
            },
          ],
          new Map(),
        ),
        invocations: receiverProfile.messages,
      },
    },
    model: {
      itemBytes: storedBytes,
      indexCount: MESSAGES_TABLE.indexes.length,
      dayShards: DAY_SHARDS,
      stageRateLimit: DEFAULT_SETTINGS.throttlingRateLimit,
      stageBurstLimit: DEFAULT_SETTINGS.throttlingBurstLimit,
    },
  };
  const derived = derive(data);
  const results = resultsJson(data, derived);
  await writeFile(join(REPO_ROOT, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(data, derived, results));
  progress(`wrote BENCHMARKS.md and bench-results.json in ${elapsedSeconds().toFixed(0)} s`);
  for (const [name, target] of Object.entries(results.targets)) {
    progress(
      `  ${target.pass ? 'PASS' : 'FAIL'} ${name} = ${target.value} (target ${target.target})`,
    );
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
