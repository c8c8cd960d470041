/**
 * The CDK CLI as users run it: `npx cdk synth` from the repository root, through `cdk.json`, real
 * bundling and cdk-nag. No AWS credentials are needed; notices, telemetry and the version check are
 * turned off because they would reach the network.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_ALARM_TARGET_WARNING } from '../../infra/receiver-monitoring.ts';
import { REPO_ROOT, removeOutdirs, tempDir } from './synth-app.ts';

/** The environment of a user's shell: no test-runner variables, nothing that goes online. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name === 'NODE_ENV' || name.startsWith('VITEST')) delete env[name];
  }
  return {
    ...env,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** The rule names in the cloud assembly's validation report: cdk-nag's and CDK's annotations. */
function findings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations: { ruleName: string }[] }[];
  };
  return report.pluginReports.flatMap((r) => r.violations).map((v) => v.ruleName);
}

/** Runs `npx cdk synth --quiet --no-notices -o <outdir> <args>` in the repository root. */
function cdkSynth(
  outdir: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir, ...args],
      { cwd: REPO_ROOT, env: userEnv(), timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const SLOW = 180_000;
afterAll(removeOutdirs);

describe('npx cdk synth', () => {
  it(
    'synthesizes the app from cdk.json with bundling and cdk-nag, and exits 0',
    async () => {
      // GIVEN
      const outdir = tempDir('openim-cli-');

      // WHEN
      const { code, stdout, stderr } = await cdkSynth(outdir);

      // THEN: cdk-nag found nothing; the one warning is that no alarm notifies anyone
      expect(code, `${stderr}\n${stdout}`).toBe(0);
      expect(existsSync(join(outdir, 'OpenImCallbackReceiver.template.json'))).toBe(true);
      expect(findings(outdir)).toEqual([`Annotation::${NO_ALARM_TARGET_WARNING}`]);
      expect(stderr).toMatch(/WARNING No alarm notifies anyone.*Fix: -c alarmEmail=/);
    },
    SLOW,
  );

  it(
    'warns nothing when the alarms have somewhere to go',
    async () => {
      // GIVEN
      const outdir = tempDir('openim-cli-');

      // WHEN
      const { code, stdout, stderr } = await cdkSynth(outdir, [
        '-c',
        'alarmTopicArn=arn:aws:sns:eu-west-1:123456789012:ops-pager',
      ]);

      // THEN
      expect(code, `${stderr}\n${stdout}`).toBe(0);
      expect(findings(outdir)).toEqual([]);
      expect(`${stderr}${stdout}`).not.toMatch(/No alarm notifies anyone/);
    },
    SLOW,
  );

  it(
    'exits 1 and names the fix when a setting is wrong',
    async () => {
      // GIVEN
      const outdir = tempDir('openim-cli-');

      // WHEN
      const { code, stderr } = await cdkSynth(outdir, ['-c', 'ttlDays=forever']);

      // THEN
      expect(code).not.toBe(0);
      expect(stderr).toContain('Context "ttlDays" is "forever"');
      expect(stderr).toContain('Fix: -c ttlDays=90');
    },
    SLOW,
  );
});
