/**
 * Cold starts: each run is a fresh Node process that loads a bundle and serves its first
 * invocation against the local engine. Variants alternate run by run, forward then backward, so
 * the machine's drift hits them alike.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionLimits } from '../local/lambda-context.ts';
import { type ChildOptions, runChild } from './child.ts';
import type { ColdStartRun } from './cold-start-child.ts';
import { callbackEvent } from './openim-traffic.ts';
import { progress } from './progress.ts';
import { SUCCESS_BODY } from './receiver-code.ts';
import { median } from './stats.ts';

/** One bundle to cold-start: its handler, Lambda's environment for it, and extra Node options. */
export type ColdStartVariant = { name: string; bundlePath: string; handlerName: string } & Pick<
  ChildOptions,
  'env' | 'nodeArgs'
>;

/** One cold start; `coldStartMs` is INIT plus the first invocation, `wallMs` spawn to exit. */
export type ColdStartSample = ColdStartRun & { coldStartMs: number; wallMs: number };

/** Cold-starts every variant `rounds` times, interleaved; samples by variant name. */
export async function measureColdStarts(
  variants: readonly ColdStartVariant[],
  rounds: number,
  limits: FunctionLimits,
  workDir: string,
): Promise<Record<string, ColdStartSample[]>> {
  const script = new URL('cold-start-child.ts', import.meta.url).pathname;
  const samples: Record<string, ColdStartSample[]> = {};
  for (const v of variants) samples[v.name] = [];
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      // Each run stores a new message, as each new execution environment would.
      const eventFile = join(workDir, `cold-event-${n}.json`);
      await writeFile(eventFile, JSON.stringify(callbackEvent(n++, 'c')));
      const args = [
        pathToFileURL(v.bundlePath).href,
        v.handlerName,
        eventFile,
        JSON.stringify(limits),
      ];
      const { result, wallMs } = await runChild<ColdStartRun>(script, args, v);
      if (result.statusCode !== 200 || result.body !== SUCCESS_BODY) {
        throw new Error(`${v.name} answered ${result.statusCode}: ${result.body}`);
      }
      samples[v.name]?.push({
        ...result,
        coldStartMs: result.initMs + result.firstInvokeMs,
        wallMs,
      });
    }
    if ((round + 1) % 5 === 0 || round + 1 === rounds) {
      const ms = (name: string) => median((samples[name] ?? []).map((s) => s.coldStartMs));
      const medians = variants.map((v) => `${v.name} ${ms(v.name).toFixed(1)}`).join(', ');
      progress(`  cold start ${round + 1}/${rounds} rounds, median ms: ${medians}`);
    }
  }
  return samples;
}
