import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/settings.ts';

/** The settings an app with this context gets. */
function settingsFrom(context: Record<string, unknown>) {
  return readSettings(new App({ context }).node);
}

/** The problems the `SettingsError` for this context lists, one per line. */
function problemsFrom(context: Record<string, unknown>): string[] {
  try {
    settingsFrom(context);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return error.message.split('\n').filter((line) => line.startsWith('  - '));
  }
  return [];
}

describe('deployment settings', () => {
  it('uses the documented defaults when no context is set', () => {
    // GIVEN / WHEN
    const settings = settingsFrom({});

    // THEN
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(settings).toEqual({
      stackName: 'OpenImCallbackReceiver',
      logRetentionDays: 30,
      throttlingRateLimit: 1000,
      throttlingBurstLimit: 2000,
      tableRemovalPolicy: 'retain',
      ttlDays: undefined,
      logLevel: 'INFO',
      allowedSourceCidrs: undefined,
      alarmEmail: undefined,
      alarmTopicArn: undefined,
      openimApiUrl: undefined,
      reconcileSchedule: 'rate(1 hour)',
      openimSecretArn: undefined,
      openimAdminUser: 'imAdmin',
    });
  });

  it('throttles above what ten OpenIM instances send, and below the account quota', () => {
    // GIVEN: one OpenIM instance sends at most 2 ÷ latency callbacks a second (2 workers), with
    // the latency BENCHMARKS.md estimates in AWS; API Gateway's HTTP API quota is per account and
    // region, shared by every HTTP API there
    const awsLatencySeconds = 0.022;
    const perOpenImInstance = 2 / awsLatencySeconds;
    const accountRate = 10_000;
    const accountBurst = 5_000;

    // WHEN
    const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = settingsFrom({});

    // THEN: a 429 is a lost message, so a normal deployment must never meet the stage throttle,
    // while a flood on this one URL must not take the quota every other API in the region shares
    expect(rate).toBeGreaterThanOrEqual(10 * perOpenImInstance);
    expect(rate).toBeLessThanOrEqual(accountRate / 5);
    expect(burst).toBeGreaterThanOrEqual(rate);
    expect(burst).toBeLessThanOrEqual(accountBurst);
  });

  it('reads strings from -c and numbers from cdk.json alike', () => {
    // GIVEN
    const fromCli = {
      stackName: 'OpenImCallbackReceiver-staging',
      logRetentionDays: '90',
      throttlingRateLimit: '12.5',
      throttlingBurstLimit: '25',
      tableRemovalPolicy: 'destroy',
      ttlDays: '90',
      logLevel: 'debug',
      allowedSourceCidrs: '203.0.113.0/24,2001:db8::/32',
      alarmEmail: 'ops@example.com',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
      openimApiUrl: 'https://openim.example.com:10002/',
      reconcileSchedule: 'rate(30 minutes)',
      openimSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openim-AbCdEf',
      openimAdminUser: 'opsAdmin',
    };
    const fromCdkJson = {
      ...fromCli,
      logRetentionDays: 90,
      throttlingRateLimit: 12.5,
      allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
    };

    // WHEN
    const settings = [settingsFrom(fromCli), settingsFrom(fromCdkJson)];

    // THEN
    for (const s of settings) {
      expect(s).toEqual({
        stackName: 'OpenImCallbackReceiver-staging',
        logRetentionDays: 90,
        throttlingRateLimit: 12.5,
        throttlingBurstLimit: 25,
        tableRemovalPolicy: 'destroy',
        ttlDays: 90,
        logLevel: 'DEBUG',
        allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
        alarmEmail: 'ops@example.com',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
        openimApiUrl: 'https://openim.example.com:10002',
        reconcileSchedule: 'rate(30 minutes)',
        openimSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openim-AbCdEf',
        openimAdminUser: 'opsAdmin',
      });
    }
  });

  it.each([
    'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
    'arn:aws-cn:sns:cn-north-1:123456789012:ops_alarms',
    'arn:aws-us-gov:sns:us-gov-west-1:123456789012:OpsAlarms',
  ])('accepts the SNS topic ARN %s as alarmTopicArn', (arn) => {
    // GIVEN / WHEN
    const settings = settingsFrom({ alarmTopicArn: ` ${arn} ` });

    // THEN
    expect(settings.alarmTopicArn).toBe(arn);
  });

  it.each([
    ['comma-separated, with spaces', ' 203.0.113.0/24 , 2001:DB8::/32,'],
    ['a JSON array from -c', '["203.0.113.0/24", "2001:DB8::/32"]'],
    ['a JSON array from cdk.json', ['203.0.113.0/24', '2001:DB8::/32']],
  ])('reads allowedSourceCidrs given as %s', (_, value) => {
    // GIVEN / WHEN
    const settings = settingsFrom({ allowedSourceCidrs: value });

    // THEN
    expect(settings.allowedSourceCidrs).toEqual(['203.0.113.0/24', '2001:DB8::/32']);
  });

  it('reads a bare address as one host, and drops repeats', () => {
    // GIVEN / WHEN
    const settings = settingsFrom({
      allowedSourceCidrs: '198.51.100.7,2001:db8::1,198.51.100.7/32',
    });

    // THEN
    expect(settings.allowedSourceCidrs).toEqual(['198.51.100.7/32', '2001:db8::1/128']);
  });

  it.each([[''], [' , '], [[]]])('treats allowedSourceCidrs=%j as unset', (value) => {
    // GIVEN / WHEN
    const settings = settingsFrom({ allowedSourceCidrs: value });

    // THEN
    expect(settings.allowedSourceCidrs).toBeUndefined();
  });

  it('treats an empty ttlDays as unset', () => {
    // GIVEN / WHEN
    const settings = settingsFrom({ ttlDays: '' });

    // THEN
    expect(settings.ttlDays).toBeUndefined();
  });

  it.each([
    ['stackName', 'my_stack', /stackName.*Fix: -c stackName=/],
    ['stackName', '1stack', /starts with a letter/],
    ['logRetentionDays', '10', /logRetentionDays.*Fix: -c logRetentionDays=<one of 1, 3, 5/],
    ['logRetentionDays', '9999', /CloudWatch Logs does not offer/],
    ['throttlingRateLimit', '0', /throttlingRateLimit.*Fix: -c throttlingRateLimit=100/],
    ['throttlingRateLimit', 'fast', /above 0/],
    ['throttlingBurstLimit', '2.5', /throttlingBurstLimit.*Fix: -c throttlingBurstLimit=200/],
    ['tableRemovalPolicy', 'snapshot', /tableRemovalPolicy.*Fix: -c tableRemovalPolicy=retain/],
    ['ttlDays', '0', /ttlDays.*Fix: -c ttlDays=90/],
    ['ttlDays', '30d', /whole number of days/],
    ['logLevel', 'verbose', /logLevel.*Fix: -c logLevel=<one of TRACE/],
    ['ttldays', '90', /Unknown context key "ttldays". Fix: spell it "ttlDays"/],
    ['allowedSourceCidrs', '10.0.0.0/33', /"10.0.0.0\/33". Fix: -c allowedSourceCidrs=203.0.113.0/],
    [
      'allowedSourceCidrs',
      '2001:db8::/129',
      /not IPv4 or IPv6 addresses or CIDRs: "2001:db8::\/129"/,
    ],
    ['allowedSourceCidrs', '203.0.113.0/24,office', /CIDRs: "office"\. Fix/],
    ['allowedSourceCidrs', '203.0.113.0/-1', /"203.0.113.0\/-1"/],
    ['allowedSourceCidrs', '203.0.113/24', /"203.0.113\/24"/],
    ['allowedSourceCidrs', '10.0.0.0/8/8', /"10.0.0.0\/8\/8"/],
    ['allowedSourceCidrs', 'fe80::1%eth0', /"fe80::1%eth0"/],
    ['allowedSourceCidrs', '["10.0.0.0/8"', /cannot be read: .*not a JSON array/],
    ['allowedsourcecidrs', '10.0.0.0/8', /spell it "allowedSourceCidrs"/],
    ['alarmEmail', 'ops', /"alarmEmail" is "ops".*Fix: -c alarmEmail=ops@example.com/],
    ['alarmEmail', 'a@b.com,c@d.com', /not one e-mail address/],
    ['alarmEmail', 'ops@localhost', /not one e-mail address/],
    ['alarmTopicArn', 'ops-alarms', /"alarmTopicArn" is "ops-alarms".*Fix: -c alarmTopicArn=arn:/],
    ['alarmTopicArn', 'arn:aws:sqs:eu-west-1:123456789012:ops', /not the ARN of a standard SNS/],
    ['alarmTopicArn', 'arn:aws:sns:eu-west-1:1234:ops', /not the ARN of a standard SNS topic/],
    ['alarmTopicArn', 'arn:aws:sns:eu-west-1:123456789012:ops.fifo', /standard SNS topic/],
    ['alarmTopicArn', 'arn:aws:sns:eu-west-1:123456789012:ops:sub-id', /standard SNS topic/],
    ['alarmtopicarn', 'arn:aws:sns:eu-west-1:123456789012:ops', /spell it "alarmTopicArn"/],
  ])('refuses %s=%s before building anything, naming the fix', (key, value, message) => {
    // GIVEN
    const context = { [key]: value };

    // WHEN
    const build = () => createApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

    // THEN
    expect(build).toThrow(SettingsError);
    expect(build).toThrow(message);
  });

  it('refuses an allowlist too long for the function environment', () => {
    // GIVEN: 200 single hosts, about 3 KB
    const hosts = Array.from({ length: 200 }, (_, i) => `198.51.100.${i}`);

    // WHEN
    const build = () => settingsFrom({ allowedSourceCidrs: hosts.join(',') });

    // THEN
    expect(build).toThrow(/200 entries, more than fit.*Fix: merge them into fewer, wider CIDRs/);
  });

  it('lists each invalid setting once, and ignores the rest of the context', () => {
    // GIVEN: CDK's own context and feature flags beside three wrong settings and a misspelt key
    const context = {
      '@aws-cdk/core:enablePartitionLiterals': true,
      'aws:cdk:bundling-stacks': [],
      throttlingRateLimit: 'fast',
      logRetentionDays: '-1',
      allowedSourceCidrs: 'office,10.0.0.0/33',
      logretentiondays: '30',
    };

    // WHEN
    const problems = problemsFrom(context);

    // THEN
    expect(problems).toHaveLength(4);
    expect(problems.filter((p) => p.includes('"throttlingRateLimit" is "fast"'))).toHaveLength(1);
    expect(problems.filter((p) => p.includes('"logRetentionDays" is "-1"'))).toHaveLength(1);
    expect(problems.filter((p) => p.includes('CIDRs: "office", "10.0.0.0/33"'))).toHaveLength(1);
    expect(problems.filter((p) => p.includes('spell it "logRetentionDays"'))).toHaveLength(1);
  });

  it('lists every invalid setting at once', () => {
    // GIVEN
    const context = { ttlDays: 'forever', tableRemovalPolicy: 'keep' };

    // WHEN
    const build = () => settingsFrom(context);

    // THEN
    expect(build).toThrow(/ttlDays[\s\S]*tableRemovalPolicy|tableRemovalPolicy[\s\S]*ttlDays/);
  });
});
