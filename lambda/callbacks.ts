/**
 * The callbacks this receiver stores: the one list that drives command resolution, the HTTP
 * routes (in AWS and locally), the `npm start` banner and the `webhooks.yml` snippet (and its
 * environment-variable form), the metrics'
 * `callback` dimension, the dashboard and the docs. Adding a callback is one module and one line.
 */
import type { Callback } from './callback.ts';
import { afterMsgSaveDB } from './callbacks/after-msg-save-db.ts';
import { afterRevokeMsg } from './callbacks/after-revoke-msg.ts';
import { afterSendGroupMsg } from './callbacks/after-send-group-msg.ts';
import { afterSendSingleMsg } from './callbacks/after-send-single-msg.ts';

/** Every callback, in the order `webhooks.yml` and the docs list them. */
export const CALLBACKS: readonly Callback[] = [
  afterSendSingleMsg,
  afterSendGroupMsg,
  afterMsgSaveDB,
  afterRevokeMsg,
] as Callback[];

/** Each callback by its command. */
const BY_COMMAND: ReadonlyMap<string, Callback> = new Map(
  CALLBACKS.map((callback) => [callback.command, callback]),
);

/** The callback with this command, if the receiver stores it. */
export function callbackFor(command: string): Callback | undefined {
  return BY_COMMAND.get(command);
}

/** The HTTP paths the receiver serves: the base URL, and the base URL plus each command. */
export const CALLBACK_PATHS: readonly string[] = [
  '/',
  ...CALLBACKS.map(({ command }) => `/${command}`),
];

/** What each callback's block in `webhooks.yml` sets: on, with OpenIM's default timeout. */
const CALLBACK_SETTINGS = [
  ['enable', 'true'],
  ['timeout', '5'],
] as const;

/** The lines of OpenIM's `config/webhooks.yml` that point it at `url` and enable every callback. */
export function webhooksYaml(url: string): string {
  return [
    `url: ${url}`,
    ...CALLBACKS.flatMap(({ webhooksKey }) => [
      `${webhooksKey}:`,
      ...CALLBACK_SETTINGS.map(([key, value]) => `  ${key}: ${value}`),
    ]),
    '',
  ].join('\n');
}

/**
 * The prefix of the environment variables that override `webhooks.yml`: OpenIM's config loader
 * (pkg/common/config/env.go) prefixes `IMENV_` to the file's name without `.yml`, upper-cased.
 */
export const WEBHOOKS_ENV_PREFIX = 'IMENV_WEBHOOKS';

/**
 * The environment variable that sets one key path of `webhooks.yml`. OpenIM's loader (viper, with
 * `AutomaticEnv` and a `.` to `_` key replacer) looks each key of the file up as prefix, `_`, the
 * path joined with `_`, all upper-cased.
 */
export function webhooksEnvName(...path: readonly string[]): string {
  return [WEBHOOKS_ENV_PREFIX, ...path].join('_').toUpperCase();
}

/**
 * The settings of {@link webhooksYaml} as environment variables, one `NAME=value` a line (the form
 * of `docker run --env-file` and of Compose's `env_file` and `environment:` list). OpenIM reads
 * them over a `webhooks.yml` that has the keys, as its own has, so no file needs editing.
 */
export function webhooksEnv(url: string): string {
  return [
    `${webhooksEnvName('url')}=${url}`,
    ...CALLBACKS.flatMap(({ webhooksKey }) =>
      CALLBACK_SETTINGS.map(([key, value]) => `${webhooksEnvName(webhooksKey, key)}=${value}`),
    ),
    '',
  ].join('\n');
}
