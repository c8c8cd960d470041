/**
 * The bundles under test: the receiver exactly as the CDK builds it (the real app synthesized with
 * bundling), and the variants the benchmark compares it with, built by esbuild with the options of
 * `infra/receiver-function.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The banner `infra/receiver-function.ts` adds so CommonJS code in the ESM bundle can `require`. */
const CJS_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild options `NodejsFunction` derives from `infra/receiver-function.ts` (ESM, minified,
 * node24, SDK bundled, banner, source map without sources). {@link buildBundle} checks them by
 * rebuilding the receiver and comparing it with the CDK's bundle byte for byte.
 */
export const RECEIVER_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: CJS_REQUIRE_BANNER },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'silent',
} as const satisfies esbuild.BuildOptions;

/** What the benchmark needs to know about the synthesized function. */
export interface SynthesizedFunction {
  /** The bundle the template deploys (`index.mjs` in the cloud assembly). */
  readonly bundlePath: string;
  /** The exported handler's name. */
  readonly handlerName: string;
  /** `MemorySize` in MB. */
  readonly memorySize: number;
  /** `Timeout` in seconds. */
  readonly timeoutSeconds: number;
  /** `Runtime`, e.g. `nodejs24.x`. */
  readonly runtime: string;
  /** `Architectures`. */
  readonly architectures: readonly string[];
  /** The function's environment as the template writes it (values may be `Ref`s). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Logical IDs of the template's DynamoDB tables, to resolve `Ref`s to them. */
  readonly tableLogicalIds: readonly string[];
  /** How long `app.synth()` took, bundling included. */
  readonly synthMs: number;
}

/** Synthesizes the real app with bundling into `outdir`, in a child process. */
export function synthesizeReceiver(outdir: string): Promise<SynthesizedFunction> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'synth-child.ts'), outdir], {
      cwd: REPO_ROOT,
      // esbuild's summary goes to stderr, where it doubles as progress.
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    let output = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && output) resolve(JSON.parse(output) as SynthesizedFunction);
      else reject(new Error(`synthesizing the app failed (exit code ${code})`));
    });
  });
}

/** A bundle built by {@link buildBundle}. */
export interface BuiltBundle {
  /** The bundle file. */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** esbuild's metafile, for the composition by package. */
  readonly metafile: esbuild.Metafile;
}

/** Options for {@link buildBundle}. */
export interface BuildBundleOptions {
  /** The entry point, relative to the repository root. */
  readonly entry: string;
  /** The folder to write `index.mjs` into. */
  readonly outdir: string;
  /** Packages left out of the bundle and resolved at run time instead. @default [] */
  readonly external?: readonly string[];
  /**
   * Keep one statement per line (identifiers and syntax still minified), so that a CPU profile's
   * line ticks say which package the bundle's top-level code came from. @default false
   */
  readonly forProfiling?: boolean;
  /**
   * Source files swapped for others, both relative to the repository root: the bundle imports
   * `to` wherever the code imports `from`. @default {}
   */
  readonly substitute?: Readonly<Record<string, string>>;
}

/** An esbuild plugin that resolves each file in `swaps` (absolute paths) to its stand-in. */
function substitution(swaps: ReadonlyMap<string, string>): esbuild.Plugin {
  return {
    name: 'substitute',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const stand = swaps.get(join(args.resolveDir, args.path));
        return stand === undefined ? undefined : { path: stand };
      });
    },
  };
}

/** Bundles `entry` with the receiver's esbuild options into `outdir/index.mjs`. */
export async function buildBundle({
  entry,
  outdir,
  external = [],
  forProfiling = false,
  substitute = {},
}: BuildBundleOptions): Promise<BuiltBundle> {
  const swaps = new Map(
    Object.entries(substitute).map(([from, to]) => [join(REPO_ROOT, from), join(REPO_ROOT, to)]),
  );
  await mkdir(outdir, { recursive: true });
  const path = join(outdir, 'index.mjs');
  const result = await esbuild.build({
    ...RECEIVER_ESBUILD_OPTIONS,
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile: path,
    external: [...external],
    metafile: true,
    plugins: swaps.size > 0 ? [substitution(swaps)] : [],
    ...(forProfiling ? { minify: false, minifyIdentifiers: true, minifySyntax: true } : {}),
  });
  return { path, bytes: (await stat(path)).size, metafile: result.metafile };
}

/**
 * Makes packages left external resolvable from a bundle in `dir`, as they would be from the
 * runtime's own `node_modules` in Lambda.
 */
export async function linkNodeModules(dir: string): Promise<void> {
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/** Whether two files have the same bytes. */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

/** The package an input of the bundle belongs to: `@scope/name`, `name`, or its own folder. */
export function packageOf(path: string): string {
  const parts = path.split('node_modules/');
  const inside = parts[parts.length - 1] ?? path;
  if (parts.length === 1) return inside.split('/')[0] ?? inside;
  const segments = inside.split('/');
  return (inside.startsWith('@') ? segments.slice(0, 2) : segments.slice(0, 1)).join('/');
}

/** The bundle's bytes by package, largest first. */
export function composition(metafile: esbuild.Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
