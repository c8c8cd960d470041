/**
 * Cold starts: each run is a fresh Node 24 process that loads a bundle and serves its first
 * invocation against the local engine. Variants alternate run by run (forward, then backward), so
 * the machine's drift hits them alike.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { FunctionLimits } from '../local/lambda-context.ts';
import { runChild } from './child.ts';
import type { ColdStartRun } from './cold-start-child.ts';
import { SUCCESS_BODY } from './openim-traffic.ts';
import { progress } from './progress.ts';
import { median } from './stats.ts';

/** The child script that performs one cold start. */
const CHILD = new URL('cold-start-child.ts', import.meta.url).pathname;

/** One bundle to cold-start, with the environment Lambda would give it. */
export interface ColdStartVariant {
  /** A short label for reports. */
  readonly name: string;
  /** The bundle file. */
  readonly bundlePath: string;
  /** The exported handler. */
  readonly handlerName: string;
  /** The process environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Extra Node options, e.g. `--cpu-prof`. @default [] */
  readonly nodeArgs?: readonly string[];
}

/** One cold start, with the time from spawn to exit. */
export type ColdStartSample = ColdStartRun & {
  /** INIT plus the first invocation: what the first caller waits for beyond Node's own start. */
  readonly coldStartMs: number;
  /** From spawning the process until it exited. */
  readonly wallMs: number;
};

/** Options for {@link measureColdStarts}. */
export interface ColdStartOptions {
  /** Runs of each variant. */
  readonly rounds: number;
  /** The event for the n-th run (each run stores a different message). */
  readonly eventFor: (n: number) => APIGatewayProxyEventV2;
  /** A scratch folder for the event files. */
  readonly workDir: string;
  /** The function's memory and timeout, passed in the context. */
  readonly limits: FunctionLimits;
}

/** Runs one cold start of `variant` with `event`. */
export async function coldStartOnce(
  variant: ColdStartVariant,
  event: APIGatewayProxyEventV2,
  eventFile: string,
  limits: FunctionLimits,
): Promise<ColdStartSample> {
  await writeFile(eventFile, JSON.stringify(event));
  const { result, wallMs } = await runChild<ColdStartRun>(
    CHILD,
    [
      pathToFileURL(variant.bundlePath).href,
      variant.handlerName,
      eventFile,
      JSON.stringify(limits),
    ],
    { env: variant.env, nodeArgs: variant.nodeArgs ?? [] },
  );
  if (result.statusCode !== 200 || result.body !== SUCCESS_BODY) {
    throw new Error(
      `${variant.name}: the first invocation answered ${result.statusCode} ${result.body}`,
    );
  }
  return { ...result, coldStartMs: result.initMs + result.firstInvokeMs, wallMs };
}

/** Cold-starts every variant `rounds` times, interleaved; samples by variant name. */
export async function measureColdStarts(
  variants: readonly ColdStartVariant[],
  { rounds, eventFor, workDir, limits }: ColdStartOptions,
): Promise<Record<string, ColdStartSample[]>> {
  const samples: Record<string, ColdStartSample[]> = Object.fromEntries(
    variants.map((v) => [v.name, []]),
  );
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const sample = await coldStartOnce(
        variant,
        eventFor(n),
        join(workDir, `cold-event-${n}.json`),
        limits,
      );
      n++;
      samples[variant.name]?.push(sample);
    }
    if ((round + 1) % 5 === 0 || round + 1 === rounds) {
      const medians = variants
        .map((v) => {
          const ms = median((samples[v.name] ?? []).map((s) => s.coldStartMs));
          return `${v.name} ${ms.toFixed(1)} ms`;
        })
        .join(', ');
      progress(`  cold start ${round + 1}/${rounds} rounds: median ${medians}`);
    }
  }
  return samples;
}
