/**
 * A validator from outside the CDK: `cfn-lint` (AWS CloudFormation Linter, Python) checks the
 * synthesized templates against CloudFormation's own resource specifications, in two regions.
 * The test fails when `cfn-lint` is not installed, since CI machines have it: install it with
 * `pip install cfn-lint`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOutdirs, synthesize } from './synth-app.ts';

/** One finding of `cfn-lint --format json`. */
interface Finding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/**
 * The warnings accepted, by rule, each with why. Anything else cfn-lint reports (an error or
 * another warning) fails the test. Informational findings are off, as in cfn-lint's defaults.
 */
const ACCEPTED_WARNINGS: Readonly<Record<string, string>> = {
  W3005:
    "CDK's Lambda Function adds a DependsOn on the execution role it is given, beside the GetAtt " +
    "of that role's ARN. The dependency is redundant, not wrong: the order of deployment is the " +
    'same, and the template is CDK-generated.',
};

/** The regions whose resource specifications the templates are checked against. */
const REGIONS = ['us-east-1', 'eu-west-1'];

/** Runs `cfn-lint` on the templates and returns its findings. */
function cfnLint(templates: readonly string[]): Promise<Finding[]> {
  const args = ['--format', 'json', '--regions', ...REGIONS];
  return new Promise((resolve, reject) => {
    execFile(
      'cfn-lint',
      [...args, '--', ...templates],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(
            new Error(
              'cfn-lint is not installed, and this test runs it on the synthesized templates. ' +
                'Fix: pip install cfn-lint (then `cfn-lint --version` must work in this shell)',
            ),
          );
          return;
        }
        // cfn-lint's exit code is a bit mask of the levels it found, so only its output tells
        // whether it ran.
        try {
          resolve(JSON.parse(stdout) as Finding[]);
        } catch {
          reject(new Error(`cfn-lint printed no JSON (exit ${error?.code ?? 0}): ${stderr}`));
        }
      },
    );
  });
}

/** A finding as one line: rule, where, what. */
function describeFinding({ Rule, Location, Message }: Finding): string {
  return `${Rule.Id} at ${Location.Path.join('/')}: ${Message}`;
}

/** The template file of a synthesized app's one stack. */
function templateFile(context: Record<string, unknown> = {}): string {
  const { assembly, stack } = synthesize(context);
  return join(assembly.directory, stack.templateFile);
}

const SLOW = 180_000;
afterAll(removeOutdirs);

describe('cfn-lint', () => {
  it(
    'finds no error, and no warning but the accepted ones, in the real app with and without every option',
    async () => {
      // GIVEN: the default deployment, and one with every optional resource and setting
      const templates = [
        templateFile(),
        templateFile({
          alarmEmail: 'ops@example.com',
          alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-pager',
          allowedSourceCidrs: '203.0.113.0/24',
          ttlDays: '90',
          tableRemovalPolicy: 'destroy',
          openimApiUrl: 'https://openim.example.com:10002',
        }),
        templateFile({
          openimApiUrl: 'https://openim.example.com',
          openimSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openim-AbCdEf',
          reconcileSchedule: 'cron(0 3 * * ? *)',
        }),
      ];

      // WHEN
      const findings = await cfnLint(templates);

      // THEN
      const refused = findings.filter(
        (finding) => finding.Level !== 'Warning' || !(finding.Rule.Id in ACCEPTED_WARNINGS),
      );
      expect(refused.map(describeFinding)).toEqual([]);
    },
    SLOW,
  );
});
