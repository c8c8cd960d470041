/**
 * Which callback a request carries. OpenIM names the command in one of three places, depending on
 * its version: the path (v3.5 on), `?command=` (v3.0 to v3.4) or only the body (v2). The path is
 * read from the route API Gateway matched (`routeKey`), not the raw path, which carries a custom
 * domain's base path or a named stage in front (`/v1/…`, `/prod/…`). Other query parameters
 * (`contenttype`, `key`) mean nothing here.
 */
import type { Callback } from './callback.ts';
import { CALLBACKS, callbackFor } from './callbacks.ts';
import { callbackError } from './openim-response.ts';

/** Where a command was named, for error details. */
type Source = 'path' | 'query' | 'body';

/** The parts of a request that can name the command. */
export interface CommandSources {
  /** The route API Gateway matched, e.g. `POST /callbackAfterSendSingleMsgCommand`. */
  readonly routeKey: string;
  /** Query string parameters, if any. */
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | undefined;
  /** The parsed body. */
  readonly body: unknown;
}

/** The command a route names (`POST /<command>`), if it names one. */
export function routeCommand(routeKey: string): string | undefined {
  const path = routeKey.split(' ')[1] ?? '';
  return path.split('/').findLast((part) => part !== '');
}

/** The body's `callbackCommand`, if the body is an object that has a string one. */
function bodyCommand(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = (body as Record<string, unknown>).callbackCommand;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The callback every place naming a command agrees on. Throws a 400 when they disagree or none
 * names one, and a 404 for a command this receiver does not serve.
 */
export function resolveCallback(request: CommandSources): Callback {
  const fromPath = routeCommand(request.routeKey);
  const fromQuery = request.queryStringParameters?.command;
  const fromBody = bodyCommand(request.body);
  // Nearly every request: whatever names a command names the same one, which the receiver serves.
  // Settled before the error details below are built.
  const first = fromPath ?? fromQuery ?? fromBody;
  const agreed =
    first !== undefined &&
    (fromQuery === undefined || fromQuery === first) &&
    (fromBody === undefined || fromBody === first)
      ? callbackFor(first)
      : undefined;
  if (agreed) return agreed;

  const named: [Source, string][] = [];
  if (fromPath !== undefined) named.push(['path', fromPath]);
  if (fromQuery !== undefined) named.push(['query', fromQuery]);
  if (fromBody !== undefined) named.push(['body', fromBody]);
  const sources = named.map(([source]) => source).join(', ');

  const commands = new Set(named.map(([, command]) => command));
  if (commands.size > 1) {
    throw callbackError(
      400,
      'The request names more than one callback command',
      `command sources disagree: ${sources}`,
    );
  }
  const [command] = commands;
  if (command === undefined) {
    throw callbackError(
      400,
      'The request names no callback command',
      'callbackCommand: is required (or post to <url>/<command>)',
    );
  }
  const callback = callbackFor(command);
  if (!callback) {
    throw callbackError(
      404,
      'This receiver does not handle that callback command',
      `unknown command in ${sources}; it handles ${CALLBACKS.map((c) => c.command).join(', ')}. ` +
        'Turn off other callbacks that use this URL in webhooks.yml',
    );
  }
  return callback;
}
