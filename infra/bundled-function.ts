/**
 * How each of the stack's functions is built: a file of `lambda/` bundled by esbuild into one ESM
 * file with the AWS SDK inside (the SDK the tests ran is the one that runs), for Node.js 24 on
 * arm64, with its source map beside it; and beside that, the side bundles it imports only when it
 * needs them.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root, which holds `package-lock.json` and the `lambda/` sources. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Lets CommonJS packages in the ESM bundle call `require` (for Node built-ins), which ESM output
 * does not define.
 */
const CJS_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild command that bundles `lambda/<file>` into `<outputDir>/<name>.mjs` with the options
 * below, for a module the function imports at run time by that name (see `lambda/handler.ts`).
 */
function sideBundleCommand(inputDir: string, outputDir: string, file: string): string {
  const esbuild = join(inputDir, 'node_modules', '.bin', 'esbuild');
  const output = join(outputDir, file.replace(/\.ts$/, '.mjs'));
  return [
    `"${esbuild}"`,
    '--bundle',
    `"${join(inputDir, 'lambda', file)}"`,
    '--target=node24',
    '--platform=node',
    '--format=esm',
    '--main-fields=module,main',
    `--banner:js="${CJS_REQUIRE_BANNER}"`,
    '--minify',
    '--sourcemap',
    '--sources-content=false',
    '--log-level=warning',
    `--outfile="${output}"`,
  ].join(' ');
}

/**
 * The NodejsFunction props that build `lambda/<file>`'s `handler` export, and each of
 * `sideBundles` (files of `lambda/`) into a bundle of its own beside it. A side bundle stays out of
 * the function's own file, which every cold start parses whole, and is loaded only when imported.
 * `external` names modules the function never imports, left out of its bundle.
 */
export function bundledFunction(
  file: string,
  {
    sideBundles = [],
    external = [],
  }: { readonly sideBundles?: readonly string[]; readonly external?: readonly string[] } = {},
): Pick<
  NodejsFunctionProps,
  'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'bundling'
> {
  return {
    entry: join(PROJECT_ROOT, 'lambda', file),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node24',
      mainFields: ['module', 'main'],
      banner: CJS_REQUIRE_BANNER,
      minify: true,
      // The map ships beside the bundle, unread at run time: it turns a minified position back
      // into a TypeScript line, offline or with --enable-source-maps set for a debugging session.
      sourceMap: true,
      sourcesContent: false,
      // Bundle the AWS SDK too, so the SDK the tests ran against is the one that runs in Lambda;
      // only modules the function never imports stay out.
      externalModules: [...external],
      ...(sideBundles.length === 0
        ? {}
        : {
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir: string, outputDir: string) =>
                sideBundles.map((side) => sideBundleCommand(inputDir, outputDir, side)),
            },
          }),
    },
  };
}
