/**
 * The bundles under test: the receiver exactly as the CDK builds it (the real app synthesized with
 * bundling), and the bundles it is compared with, built with the same esbuild options.
 */
import { mkdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runChild } from './child.ts';
import type { SynthesizedFunction } from './synth-child.ts';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The options `NodejsFunction` derives from `infra/bundled-function.ts`; each run checks them by
 * rebuilding the receiver and comparing it with the CDK's bundle.
 */
const CDK_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'silent',
} as const satisfies esbuild.BuildOptions;

/** Synthesizes the real app with bundling into `outdir`, in a child, away from our own heap. */
export async function synthesizeReceiver(outdir: string): Promise<SynthesizedFunction> {
  const script = join(REPO_ROOT, 'bench', 'synth-child.ts');
  const options = { env: process.env, cwd: REPO_ROOT };
  return (await runChild<SynthesizedFunction>(script, [outdir], options)).result;
}

/** A module of the code (a path from the root) and what a bundle takes in its place. */
export type Substitute = { readonly module: string; readonly standIn: string };

/** Resolves `module` to `standIn` wherever it is imported. */
function substitution({ module, standIn }: Substitute): esbuild.Plugin {
  const [from, to] = [join(REPO_ROOT, module), join(REPO_ROOT, standIn)];
  const resolve = ({ path, resolveDir }: esbuild.OnResolveArgs) =>
    join(resolveDir, path) === from ? { path: to } : undefined;
  return { name: 'substitute', setup: (build) => build.onResolve({ filter: /\.ts$/ }, resolve) };
}

/** What a bundle changes from the CDK's build: modules left out, one substituted, another tree. */
export interface BundleChanges {
  readonly external?: string[];
  readonly substitute?: Substitute;
  /** The checkout to bundle from (`bench/paired.ts` builds an earlier commit). @default REPO_ROOT */
  readonly root?: string;
}

/**
 * Bundles `entry` (relative to the checkout's root) into `outdir/index.mjs` like the CDK does.
 */
export async function buildBundle(
  entry: string,
  outdir: string,
  { external = [], substitute, root = REPO_ROOT }: BundleChanges = {},
) {
  await mkdir(outdir, { recursive: true });
  const path = join(outdir, 'index.mjs');
  const { metafile } = await esbuild.build({
    ...CDK_ESBUILD_OPTIONS,
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: path,
    external,
    plugins: substitute ? [substitution(substitute)] : [],
    metafile: true,
  });
  if (substitute && !(substitute.standIn in metafile.inputs)) {
    throw new Error(`${entry} no longer imports ${substitute.module}: update the substitute`);
  }
  if (external.length > 0) {
    // What is left out resolves from here, as from the runtime's own modules in Lambda.
    await symlink(join(root, 'node_modules'), join(outdir, 'node_modules'), 'dir');
  }
  return { path, bytes: (await stat(path)).size, metafile };
}

/** The package an input of the bundle belongs to: `@scope/name`, `name`, or its own folder. */
function packageOf(path: string): string {
  const inside = path.split('node_modules/').at(-1) ?? path;
  const segments = inside.split('/');
  if (!path.includes('node_modules/')) return segments[0] ?? inside;
  return segments.slice(0, inside.startsWith('@') ? 2 : 1).join('/');
}

/** The bundle's bytes by package, largest first. */
export function composition(metafile: esbuild.Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      totals.set(packageOf(input), (totals.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
