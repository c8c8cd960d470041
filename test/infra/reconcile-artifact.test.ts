/**
 * The scheduled reconcile's deployed artifact, proven offline: the app synthesized with
 * `openimApiUrl` and real bundling, the reconcile function's bundle run as Lambda would (a fresh
 * Node 24 process with the template's environment) against the tables the template defines in
 * the local engine, the fake OpenIM as OpenIM's API, and a Secrets Manager stub holding OpenIM's
 * secret under the template's secret. Its metrics are the ones the template's alarms read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambda/receiver-metrics.ts';
import { ReconcileMetricName } from '../../lambda/reconcile/reconcile-metrics.ts';
import { type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import { type FakeOpenIm, startFakeOpenIm } from '../support/fake-openim.ts';
import { buildScenario } from '../support/openim-scenario.ts';
import { archiveTables, type Resource } from '../support/template.ts';
import { scanAll } from '../support/test-receiver.ts';
import {
  awsError,
  createTemplateTables,
  emittedMetrics,
  isRead,
  type Recorder,
  runBundle,
  startJsonStub,
  templateEnv,
} from './artifact-harness.ts';
import { metricsRead } from './dashboard-body.ts';
import { removeOutdirs, type Synthesized, synthesize } from './synth-app.ts';

/** The ARN the test gives the template's OpenIM secret, as CloudFormation would from `Ref`. */
const SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:OpenImSecret-AbCdEf';
const TABLES = { messages: 'reconcile-messages', seqs: 'reconcile-seqs' };
const SLOW = 180_000;

describe('the scheduled reconcile, as deployed', () => {
  let fake: FakeOpenIm;
  let engine: LocalEngine;
  let secrets: Recorder;
  /** What the stub holds as OpenIM's secret; undefined: the secret was never set. */
  let secretValue: string | undefined;
  let synthesized: Synthesized;
  let resources: Record<string, Resource>;
  let reconcileFn: Resource;

  beforeAll(async () => {
    fake = await startFakeOpenIm({ variant: 'v3.8.3' });
    buildScenario(fake.model);
    engine = await startLocalEngine();
    secrets = await startJsonStub(({ target, input }) => {
      if (target !== 'secretsmanager.GetSecretValue' || input.SecretId !== SECRET_ARN) {
        return awsError('InvalidRequestException', `the stub does not serve ${target}`);
      }
      if (secretValue === undefined) {
        return awsError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
      }
      return {
        status: 200,
        body: { ARN: SECRET_ARN, SecretString: secretValue, VersionStages: ['AWSCURRENT'] },
      };
    });
    synthesized = synthesize({ openimApiUrl: fake.url }, { bundle: true });
    resources = synthesized.assembly.getStackByName(synthesized.stack.stackName).template.Resources;
    reconcileFn = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(r.Properties.Environment).includes('OPENIM_API_URL'),
    ) as Resource;
    await createTemplateTables(engine, resources, TABLES);
  }, SLOW);

  afterAll(async () => {
    await Promise.all([fake?.close(), secrets?.close()]);
    await engine?.close();
    await removeOutdirs();
  });

  /** The function's environment from the template, with each reference resolved locally. */
  function functionEnv(): Record<string, string> {
    const ids = archiveTables(resources);
    const secretId = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::SecretsManager::Secret' &&
        String(r.Properties.Description).includes("OpenIM's secret"),
    )?.[0];
    const refs: Record<string, string> = {
      [ids.messages[0]]: TABLES.messages,
      [ids.seqs[0]]: TABLES.seqs,
      [secretId ?? '']: SECRET_ARN,
    };
    return templateEnv(reconcileFn, refs, {
      AWS_LAMBDA_FUNCTION_NAME: 'openim-reconcile',
      AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    });
  }

  /** Runs one scheduled invocation (an EventBridge event) of the deployed bundle. */
  async function runOnce() {
    const event = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    const run = await runBundle(synthesized, reconcileFn, [event], functionEnv());
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    return { ...run, metrics: emittedMetrics(run.stdout) };
  }

  /** The value of a metric in the run's EMF output. */
  function metricValue(stdout: string, name: string): number | undefined {
    for (const line of stdout.split('\n')) {
      if (line.startsWith('{') && line.includes(`"${name}"`)) {
        return (JSON.parse(line) as Record<string, number>)[name];
      }
    }
    return undefined;
  }

  it(
    "fails the run with the fix in its log until OpenIM's secret is set, and counts the failure",
    async () => {
      // GIVEN the secret as the stack creates it: empty
      secretValue = undefined;

      // WHEN the schedule runs it
      const run = await runOnce();

      // THEN it says how to set the secret, wrote nothing, and counted a failed run
      const logs = `${run.stdout}${run.stderr}`;
      expect(logs).toMatch(/"level":"ERROR".*"message":"Reconcile failed".*put-secret-value/);
      expect(logs).toContain(SECRET_ARN);
      expect(metricValue(run.stdout, ReconcileMetricName.runsFailed)).toBe(1);
      expect(await scanAll(engine.client, TABLES.messages)).toEqual([]);
    },
    SLOW,
  );

  it(
    'recovers what OpenIM has into the tables the template defines, and emits what the alarms read',
    async () => {
      // GIVEN OpenIM's secret in its secret, and no callback ever arrived
      secretValue = fake.secret;

      // WHEN the schedule runs it
      const run = await runOnce();

      // THEN every chat message OpenIM still has is in the table, with its seq
      const kept = fake.model.messages().filter(({ state, msg, conversationID, seq }) => {
        const notice = msg.contentType >= 1000 && msg.contentType <= 5000;
        const cleared = conversationID === 'si_u2_u3' && seq <= 3;
        return state === 'stored' && !notice && !cleared && !conversationID.startsWith('n_');
      });
      const records = await scanAll(engine.client, TABLES.messages);
      expect(records.map((r) => r.serverMsgID).sort()).toEqual(
        kept.map(({ msg }) => msg.serverMsgID).sort(),
      );
      for (const { msg, seq } of kept) {
        expect(records.find((r) => r.serverMsgID === msg.serverMsgID)?.seq).toBe(seq);
      }
      expect(metricValue(run.stdout, ReconcileMetricName.recovered)).toBe(kept.length);
      expect(metricValue(run.stdout, ReconcileMetricName.runsFailed)).toBe(0);
      expect(`${run.stdout}${run.stderr}`).not.toContain(fake.secret);

      // AND every reconcile metric the template's alarms and dashboard read is one it emitted
      const read = metricsRead(resources, METRICS_NAMESPACE).filter(({ metricName }) =>
        (Object.values(ReconcileMetricName) as string[]).includes(metricName),
      );
      expect(new Set(read.map(({ metricName }) => metricName))).toEqual(
        new Set(Object.values(ReconcileMetricName)),
      );
      for (const metric of read) {
        expect(
          run.metrics.some((candidate) => isRead(metric, candidate)),
          JSON.stringify(metric),
        ).toBe(true);
      }

      // AND the next run recovers nothing
      const again = await runOnce();
      expect(metricValue(again.stdout, ReconcileMetricName.recovered)).toBe(0);
    },
    SLOW,
  );
});
