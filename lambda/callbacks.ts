/**
 * The callbacks this receiver stores: the one list that drives command resolution, the HTTP
 * routes (in AWS and locally), the `npm start` banner and `webhooks.yml` snippet, the metrics'
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

/** The callback with this command, if the receiver stores it. */
export function callbackFor(command: string): Callback | undefined {
  return CALLBACKS.find((callback) => callback.command === command);
}

/** The HTTP paths the receiver serves: the base URL, and the base URL plus each command. */
export const CALLBACK_PATHS: readonly string[] = [
  '/',
  ...CALLBACKS.map(({ command }) => `/${command}`),
];

/** The lines of OpenIM's `config/webhooks.yml` that point it at `url` and enable every callback. */
export function webhooksYaml(url: string): string {
  return [
    `url: ${url}`,
    ...CALLBACKS.flatMap(({ webhooksKey }) => [
      `${webhooksKey}:`,
      '  enable: true',
      '  timeout: 5',
    ]),
    '',
  ].join('\n');
}
