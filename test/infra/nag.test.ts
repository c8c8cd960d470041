import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { PolicyValidationReportJson } from 'aws-cdk-lib/cloud-assembly-schema';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import {
  CDK_JSON_CONTEXT,
  removeOutdirs,
  SKIP_BUNDLING,
  synthesize,
  tempDir,
} from './synth-app.ts';

/** The validation report CDK writes into the cloud assembly. */
function validationReport(directory: string): PolicyValidationReportJson {
  return JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8'));
}

/** Every `Validations.of(x).acknowledge()` in the app: where, which rule and why. */
function acknowledgements(app: ReturnType<typeof createApp>) {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

const SLOW = 60_000;
afterAll(removeOutdirs);

describe('cdk-nag AwsSolutions checks', () => {
  it(
    'pass on the real app with no unacknowledged finding',
    () => {
      // GIVEN / WHEN: synth throws in tests (NODE_ENV=test) when a plugin reports a failure
      const { assembly } = synthesize();

      // THEN
      const report = validationReport(assembly.directory);
      expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
    },
    SLOW,
  );

  it(
    'acknowledge only the missing authorizer, each with its reason',
    () => {
      // GIVEN
      const { app } = synthesize();

      // WHEN
      const acks = acknowledgements(app);

      // THEN
      expect(acks.map(({ path, id }) => ({ path, id }))).toEqual([
        { path: 'OpenImCallbackReceiver/CallbackApi/Api', id: 'AwsSolutions-APIG4' },
      ]);
      for (const { reason } of acks) expect(reason.trim().length).toBeGreaterThan(40);
    },
    SLOW,
  );

  it(
    'fail the synth on a finding nobody acknowledged',
    () => {
      // GIVEN: the real app plus a function on an old runtime with the managed basic role
      const app = createApp({
        context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING },
        outdir: tempDir(),
      });
      const extra = new Stack(app, 'Careless');
      new LambdaFunction(extra, 'Old', {
        runtime: Runtime.NODEJS_20_X,
        handler: 'index.handler',
        code: Code.fromInline('export const handler = async () => ({});'),
      });

      // WHEN
      const synth = () => app.synth();

      // THEN
      expect(synth).toThrow(/AwsSolutions-L1/);
      expect(synth).toThrow(/AwsSolutions-IAM4/);
    },
    SLOW,
  );
});
