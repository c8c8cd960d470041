import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app.ts';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/settings.ts';

/** The settings an app with this context gets. */
function settingsFrom(context: Record<string, unknown>) {
  return readSettings(new App({ context }).node);
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
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      tableRemovalPolicy: 'retain',
      ttlDays: undefined,
      logLevel: 'INFO',
    });
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
    };
    const fromCdkJson = { ...fromCli, logRetentionDays: 90, throttlingRateLimit: 12.5 };

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
      });
    }
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
  ])('refuses %s=%s before building anything, naming the fix', (key, value, message) => {
    // GIVEN
    const context = { [key]: value };

    // WHEN
    const build = () => createApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

    // THEN
    expect(build).toThrow(SettingsError);
    expect(build).toThrow(message);
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
