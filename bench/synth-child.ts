/**
 * Runs in a child process (so aws-cdk-lib stays out of the benchmark's own heap): synthesizes the
 * real app with real esbuild bundling into the folder given as the first argument, and writes what
 * the benchmark needs about the function to file descriptor 3 as JSON.
 */
import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AssetManifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { createApp } from '../infra/app.ts';

/** A CloudFormation resource as the template holds it. */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: node bench/synth-child.ts <outdir>');
const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'));
const assembly = createApp({ context: cdkJson.context, outdir }).synth();

const [stack] = assembly.stacks;
if (!stack || assembly.stacks.length !== 1) throw new Error('expected exactly one stack');
const resources = stack.template.Resources as Record<string, Resource>;
const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
if (functions.length !== 1) throw new Error(`expected one function, found ${functions.length}`);
const fn = (functions[0] as Resource).Properties;

// The template names the code by its asset hash; the asset manifest says where that asset is.
const hash = (fn.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
const manifestArtifact = stack.dependencies.find(AssetManifestArtifact.isAssetManifestArtifact);
if (!manifestArtifact) throw new Error('the stack has no asset manifest');
const manifest: AssetManifest = JSON.parse(readFileSync(manifestArtifact.file, 'utf8'));
const asset = manifest.files?.[hash];
if (!asset?.source.path) throw new Error(`no file asset ${hash} in the manifest`);
const [handlerFile, handlerName] = String(fn.Handler).split('.');

const result = {
  // The bundle the template deploys, and what the template says of the function.
  bundlePath: join(assembly.directory, asset.source.path, `${handlerFile}.mjs`),
  handlerName: handlerName ?? 'handler',
  memorySize: Number(fn.MemorySize),
  timeoutSeconds: Number(fn.Timeout),
  runtime: String(fn.Runtime),
  architectures: (fn.Architectures as string[] | undefined) ?? ['x86_64'],
  variables:
    (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
  // The variables' `Ref`s to these resolve to the local table.
  tableLogicalIds: tables.map(([id]) => id),
};

/** What the benchmark reads from the synthesized template about the function. */
export type SynthesizedFunction = typeof result;
writeSync(3, JSON.stringify(result));
