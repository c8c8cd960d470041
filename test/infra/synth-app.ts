/**
 * Test helpers: synthesize the real app from `infra/app.ts` with the context `cdk.json` gives the
 * CLI, into temporary folders that {@link removeOutdirs} deletes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createApp } from '../../infra/app.ts';
import { ReceiverStack } from '../../infra/receiver-stack.ts';

/** The repository root, where users run `npx cdk`. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The context `cdk.json` gives every `cdk` command (feature flags). */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'),
).context;

/** Context that skips asset bundling, for tests that only read the template. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

const outdirs: string[] = [];

/** A new temporary folder, deleted by {@link removeOutdirs}. */
export function tempDir(prefix = 'openim-infra-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  outdirs.push(dir);
  return dir;
}

/** Deletes every folder {@link tempDir} made. */
export async function removeOutdirs(): Promise<void> {
  await Promise.all(outdirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A synthesized app. */
export interface Synthesized {
  /** The app, as `createApp` built it. */
  readonly app: App;
  /** Its one stack. */
  readonly stack: ReceiverStack;
  /** The cloud assembly written to a temporary folder. */
  readonly assembly: CloudAssembly;
}

/** The receiver stack of an app built by `createApp`. */
export function receiverStack(app: App): ReceiverStack {
  const stack = app.node.children.find((child) => child instanceof ReceiverStack);
  if (!stack) throw new Error('createApp built no ReceiverStack');
  return stack;
}

/** Builds and synthesizes the app with `cdk.json`'s context plus `context`. */
export function synthesize(
  context: Record<string, unknown> = {},
  { bundle = false }: { readonly bundle?: boolean } = {},
): Synthesized {
  const app = createApp({
    context: { ...CDK_JSON_CONTEXT, ...(bundle ? {} : SKIP_BUNDLING), ...context },
    outdir: tempDir(),
  });
  const assembly = app.synth();
  return { app, stack: receiverStack(app), assembly };
}

/** The stack's template, with bundling skipped. */
export function templateFor(context: Record<string, unknown> = {}): Template {
  return Template.fromStack(synthesize(context).stack);
}
