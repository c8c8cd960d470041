/**
 * How each of the stack's functions is built: a file of `lambda/` bundled by esbuild into one ESM
 * file with the AWS SDK inside (the SDK the tests ran is the one that runs), for Node.js 24 on
 * arm64, with its source map beside it.
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

/** The NodejsFunction props that build `lambda/<file>`'s `handler` export. */
export function bundledFunction(
  file: string,
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
      // Bundle the AWS SDK too, so the SDK the tests ran against is the one that runs in Lambda.
      externalModules: [],
    },
  };
}
