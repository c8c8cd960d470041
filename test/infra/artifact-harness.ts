/**
 * Running a synthesized function's bundle as Lambda would, offline: its code from the cloud
 * assembly, its environment from the template, the tables the template defines in the local
 * engine, and small stubs of the AWS JSON protocols the engine lacks (Secrets Manager, SQS) that
 * record what the bundled SDK asked. Shared by the artifact tests of each function.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { AssetManifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { expect } from 'vitest';
import { LOCAL_AWS, type LocalEngine } from '../../local/local-engine.ts';
import { runToEnd } from '../support/child.ts';
import { archiveTables, type Resource } from '../support/template.ts';
import type { MetricRead } from './dashboard-body.ts';
import { type Synthesized, tempDir } from './synth-app.ts';

/**
 * Runs in the child: imports the bundle (so it reads its environment at load, as in Lambda),
 * invokes `handler` once per event in order, in the context `npm start` gives it, and writes the
 * results to a file, since the function's own logs go to stdout.
 */
export const INVOKER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [bundleUrl, handlerName, invocationsFile, resultsFile] = process.argv.slice(1);
const { events, limits } = JSON.parse(readFileSync(invocationsFile, 'utf8'));
const { lambdaContext } = await import(${JSON.stringify(new URL('../../local/lambda-context.ts', import.meta.url).href)});
const module = await import(bundleUrl);
const results = [];
for (const event of events) {
  results.push(await module[handlerName](event, lambdaContext(event.requestContext?.requestId ?? event.id ?? "scheduled", limits)));
}
writeFileSync(resultsFile, JSON.stringify(results));
process.exit(0);
`;

/** One request a stub or proxy received. */
export interface Call {
  /** The `x-amz-target` header, e.g. `secretsmanager.GetSecretValue`. */
  readonly target: string;
  /** The JSON body. */
  readonly input: Record<string, unknown>;
}

/** A stub's answer: status, JSON body and extra headers. */
export interface StubAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** A local HTTP server that records every request. */
export interface Recorder {
  readonly endpoint: string;
  readonly calls: Call[];
  close(): Promise<void>;
}

/** Reads a request's whole body. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts `server` on a free port of 127.0.0.1 and wraps it as a {@link Recorder}. */
export async function listen(server: Server, calls: Call[]): Promise<Recorder> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The call a request carries: its target and JSON input. */
export function callOf(headers: IncomingHttpHeaders, body: Buffer): Call {
  const text = body.toString('utf8');
  return { target: String(headers['x-amz-target'] ?? ''), input: text ? JSON.parse(text) : {} };
}

/** A stub of an AWS JSON-protocol service (`POST /` with `x-amz-target`). */
export async function startJsonStub(answer: (call: Call) => StubAnswer): Promise<Recorder> {
  const calls: Call[] = [];
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const call = callOf(request.headers, await readBody(request));
    calls.push(call);
    const { status, body, headers = {} } = answer(call);
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
    response.end(JSON.stringify(body));
  });
  return listen(server, calls);
}

/** A JSON-protocol error, as AWS sends it. */
export function awsError(type: string, message: string): StubAnswer {
  return {
    status: 400,
    body: { __type: type, message },
    headers: { 'x-amzn-errortype': type },
  };
}

/** One metric in the function's EMF output: namespace, name and dimension values. */
export interface MetricEmitted {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, unknown>>;
}

/** Every metric, under each of its dimension sets, in the EMF lines of a function's output. */
export function emittedMetrics(stdout: string): MetricEmitted[] {
  const emitted: MetricEmitted[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const blob = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string }[];
        }[];
      };
    };
    for (const { Namespace, Dimensions, Metrics } of blob._aws.CloudWatchMetrics) {
      for (const names of Dimensions) {
        for (const { Name } of Metrics) {
          emitted.push({
            namespace: Namespace,
            metricName: Name,
            dimensions: Object.fromEntries(names.map((name) => [name, blob[name]])),
          });
        }
      }
    }
  }
  return emitted;
}

/** Whether CloudWatch files `emitted` under the metric `read`: same name and dimension set. */
export function isRead(read: MetricRead, emitted: MetricEmitted): boolean {
  const names = Object.keys(read.dimensions).sort();
  return (
    read.namespace === emitted.namespace &&
    read.metricName === emitted.metricName &&
    names.join() === Object.keys(emitted.dimensions).sort().join() &&
    names.every((name) => [undefined, emitted.dimensions[name]].includes(read.dimensions[name]))
  );
}

/**
 * A function's environment as Lambda would give it: the template's variables, each `Ref` resolved
 * through `refs` (logical ID to local value), on top of `base` (endpoints, region, credentials).
 */
export function templateEnv(
  fn: Resource,
  refs: Readonly<Record<string, string>>,
  base: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    ...base,
  };
  const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  for (const [name, value] of Object.entries(variables)) {
    const ref = (value as { Ref?: string }).Ref;
    if (typeof value === 'string') env[name] = value;
    else if (ref !== undefined && ref in refs) env[name] = refs[ref] as string;
    else throw new Error(`${name} is ${JSON.stringify(value)}, which this test cannot resolve`);
  }
  return env;
}

/** The bundle file the template deploys for `fn`, and its handler's export name. */
export function bundleOf(
  { assembly, stack }: Synthesized,
  fn: Resource,
): { bundle: string; handlerName: string } {
  const { S3Key } = fn.Properties.Code as { S3Key: string };
  const hash = S3Key.replace(/\.zip$/, '');
  const manifestArtifact = assembly
    .getStackByName(stack.stackName)
    .dependencies.find(AssetManifestArtifact.isAssetManifestArtifact);
  const manifest: AssetManifest = JSON.parse(readFileSync(manifestArtifact?.file ?? '', 'utf8'));
  const asset = manifest.files?.[hash];
  const [handlerFile, handlerName] = (fn.Properties.Handler as string).split('.');
  const bundle = join(assembly.directory, asset?.source.path ?? '', `${handlerFile}.mjs`);
  expect(asset?.source.packaging).toBe('zip');
  expect(existsSync(bundle), bundle).toBe(true);
  return { bundle, handlerName: handlerName ?? '' };
}

/**
 * Runs `fn`'s bundle in a fresh Node process (so it reads `env` at load, as in Lambda), invoking
 * its handler once per event in order with the template's memory and timeout in the context.
 * Resolves with the process's exit code and output, and the file holding the handler's results.
 */
export async function runBundle(
  synthesized: Synthesized,
  fn: Resource,
  events: readonly unknown[],
  env: Record<string, string>,
) {
  const { bundle, handlerName } = bundleOf(synthesized, fn);
  const workDir = tempDir('openim-artifact-');
  const invocations = join(workDir, 'invocations.json');
  const results = join(workDir, 'results.json');
  writeFileSync(
    invocations,
    JSON.stringify({
      events,
      // Each invocation starts with the template's whole timeout ahead of it, as in Lambda.
      limits: {
        memoryMB: Number(fn.Properties.MemorySize),
        timeoutSeconds: Number(fn.Properties.Timeout),
      },
    }),
  );
  const run = await runToEnd(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      INVOKER,
      pathToFileURL(bundle).href,
      handlerName,
      invocations,
      results,
    ],
    env,
  );
  return { ...run, results };
}

/** Creates, in the local engine, the messages and seqs tables the template defines, as `names`. */
export async function createTemplateTables(
  engine: LocalEngine,
  resources: Record<string, Resource>,
  names: { readonly messages: string; readonly seqs: string },
): Promise<void> {
  const ids = archiveTables(resources);
  for (const [[id], name] of [
    [ids.messages, names.messages],
    [ids.seqs, names.seqs],
  ] as const) {
    const { BillingMode, KeySchema, AttributeDefinitions, GlobalSecondaryIndexes } = (
      resources[id] as Resource
    ).Properties as unknown as CreateTableCommandInput;
    await engine.client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode,
        KeySchema,
        AttributeDefinitions,
        ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
      }),
    );
    await waitUntilTableExists({ client: engine.client, maxWaitTime: 30 }, { TableName: name });
  }
}
