/**
 * The settings OpenIM needs, in both of the forms its config loader reads: `config/webhooks.yml`,
 * and the `IMENV_WEBHOOKS_…` environment variables its loader (viper, prefix from the file's name,
 * `.` to `_`, upper-cased) looks up for each key of that file.
 */
import { describe, expect, it } from 'vitest';
import {
  CALLBACKS,
  WEBHOOKS_ENV_PREFIX,
  webhooksEnv,
  webhooksEnvName,
  webhooksYaml,
} from '../../lambda/callbacks.ts';

const OPENIM_URL = 'http://openim:p%40ss@host.docker.internal:3000';

/** The key paths and values of the two-level YAML that `webhooksYaml` writes. */
function yamlSettings(yaml: string): [string[], string][] {
  const settings: [string[], string][] = [];
  let parent = '';
  for (const line of yaml.split('\n').filter(Boolean)) {
    const [, indent = '', key = '', value = ''] = /^( *)([^:]+):(?: (.*))?$/.exec(line) ?? [];
    if (indent === '') parent = key;
    if (value !== '') settings.push([indent === '' ? [key] : [parent, key], value]);
  }
  return settings;
}

describe('the environment-variable form of the webhooks.yml settings', () => {
  it("names each variable as OpenIM's loader looks it up: IMENV_WEBHOOKS_, the path, upper-cased", () => {
    expect(WEBHOOKS_ENV_PREFIX).toBe('IMENV_WEBHOOKS');
    expect(webhooksEnvName('url')).toBe('IMENV_WEBHOOKS_URL');
    expect(webhooksEnvName('afterSendSingleMsg', 'enable')).toBe(
      'IMENV_WEBHOOKS_AFTERSENDSINGLEMSG_ENABLE',
    );
    expect(webhooksEnv(OPENIM_URL)).toBe(
      [
        `IMENV_WEBHOOKS_URL=${OPENIM_URL}`,
        'IMENV_WEBHOOKS_AFTERSENDSINGLEMSG_ENABLE=true',
        'IMENV_WEBHOOKS_AFTERSENDSINGLEMSG_TIMEOUT=5',
        'IMENV_WEBHOOKS_AFTERSENDGROUPMSG_ENABLE=true',
        'IMENV_WEBHOOKS_AFTERSENDGROUPMSG_TIMEOUT=5',
        'IMENV_WEBHOOKS_AFTERMSGSAVEDB_ENABLE=true',
        'IMENV_WEBHOOKS_AFTERMSGSAVEDB_TIMEOUT=5',
        'IMENV_WEBHOOKS_AFTERREVOKEMSG_ENABLE=true',
        'IMENV_WEBHOOKS_AFTERREVOKEMSG_TIMEOUT=5',
        '',
      ].join('\n'),
    );
  });

  it('sets exactly what the webhooks.yml lines set, for every callback of the one list', () => {
    // GIVEN the YAML's settings, as key paths and values
    const yaml = yamlSettings(webhooksYaml(OPENIM_URL));
    expect(yaml.map(([path]) => path[0])).toEqual(
      expect.arrayContaining(CALLBACKS.map((c) => c.webhooksKey)),
    );

    // WHEN each is named as viper names it: prefix + "_" + the lower-cased path with "." as "_",
    // upper-cased (viper lower-cases keys, then mergeWithEnvPrefix upper-cases the whole name)
    const expected = yaml.map(
      ([path, value]) =>
        `${`${WEBHOOKS_ENV_PREFIX}_${path.join('.').toLowerCase()}`.toUpperCase().replaceAll('.', '_')}=${value}`,
    );

    // THEN the environment form is those lines, in the same order
    expect(webhooksEnv(OPENIM_URL).trimEnd().split('\n')).toEqual(expected);
  });
});
