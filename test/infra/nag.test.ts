import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { PolicyValidationReportJson } from 'aws-cdk-lib/cloud-assembly-schema';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { NO_ALARM_TARGET_WARNING } from '../../infra/receiver-monitoring.ts';
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

/** Every finding of the report: cdk-nag's, and CDK's own annotations (warnings included). */
function findings(report: PolicyValidationReportJson): string[] {
  return report.pluginReports.flatMap((r) => r.violations).map((v) => v.ruleName);
}

/** The rules the app acknowledges, in construct order; anything else must pass or fail synth. */
const ACKNOWLEDGED = ['AwsSolutions-SMG4', 'AwsSolutions-SQS3', 'AwsSolutions-APIG4'];

const SLOW = 60_000;
afterAll(removeOutdirs);

describe('cdk-nag AwsSolutions checks', () => {
  it(
    'pass on the real app with no unacknowledged finding',
    () => {
      // GIVEN / WHEN: synth throws in tests (NODE_ENV=test) when a plugin reports a failure
      const { assembly } = synthesize();

      // THEN: only the warning that no alarm notifies anyone
      const report = validationReport(assembly.directory);
      expect(findings(report)).toEqual([`Annotation::${NO_ALARM_TARGET_WARNING}`]);
    },
    SLOW,
  );

  it(
    'pass with alarmEmail, alarmTopicArn and allowedSourceCidrs too, with no further acknowledgement',
    () => {
      // GIVEN / WHEN: the optional SNS topic is the only resource type these add
      const { app, assembly } = synthesize({
        alarmEmail: 'ops@example.com',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-pager',
        allowedSourceCidrs: '203.0.113.0/24',
      });

      // THEN
      const report = validationReport(assembly.directory);
      expect(findings(report)).toEqual([]);
      expect(acknowledgements(app).map(({ id }) => id)).toEqual(ACKNOWLEDGED);
    },
    SLOW,
  );

  it(
    'pass with the scheduled reconcile too, its empty secret acknowledged for rotation',
    () => {
      // GIVEN / WHEN
      const { app, assembly } = synthesize({
        openimApiUrl: 'https://openim.example.com:10002',
        alarmEmail: 'ops@example.com',
      });

      // THEN
      expect(findings(validationReport(assembly.directory))).toEqual([]);
      const acks = acknowledgements(app);
      expect(acks.map(({ path, id }) => ({ path, id }))).toContainEqual({
        path: 'OpenImCallbackReceiver/Reconcile/OpenImSecret',
        id: 'AwsSolutions-SMG4',
      });
      expect(acks.find(({ path }) => path.includes('Reconcile'))?.reason).toMatch(
        /config\/share\.yml[\s\S]*put-secret-value/,
      );
    },
    SLOW,
  );

  it(
    'acknowledge only these findings, each where it arises and with its reason',
    () => {
      // GIVEN
      const { app } = synthesize();

      // WHEN
      const acks = acknowledgements(app);

      // THEN
      expect(acks.map(({ path, id }) => ({ path, id }))).toEqual([
        { path: 'OpenImCallbackReceiver/WebhookSecret/Secret', id: 'AwsSolutions-SMG4' },
        { path: 'OpenImCallbackReceiver/Fallback/Queue', id: 'AwsSolutions-SQS3' },
        { path: 'OpenImCallbackReceiver/CallbackApi/Api', id: 'AwsSolutions-APIG4' },
      ]);
      for (const { reason } of acks) expect(reason.trim().length).toBeGreaterThan(40);
      const reasons = Object.fromEntries(acks.map(({ id, reason }) => [id, reason]));
      expect(reasons['AwsSolutions-APIG4']).toMatch(/Basic auth[\s\S]*constant time[\s\S]*401/);
      expect(reasons['AwsSolutions-APIG4']).not.toMatch(/later|not protected|until then/i);
      expect(reasons['AwsSolutions-SMG4']).toMatch(/webhooks\.yml[\s\S]*AWSPREVIOUS/);
      expect(reasons['AwsSolutions-SQS3']).toMatch(/dead-letter[\s\S]*npm run replay/);
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
