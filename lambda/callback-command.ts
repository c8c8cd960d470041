/**
 * Which callback a request carries. OpenIM names it in one of three places, depending on its
 * version: the path (v3.5 on), `?command=` (v3.0 to v3.4) or only the body (v2). Other query
 * parameters (`contenttype`, `key`) mean nothing here.
 */
import { AFTER_SEND_SINGLE_MSG } from './callback-schema.ts';
import { callbackError } from './openim-response.ts';

/** The HTTP paths the receiver serves: the base URL, and the base URL plus the command. */
export const CALLBACK_PATHS = ['/', `/${AFTER_SEND_SINGLE_MSG}`] as const;

/** Where a command was named, for error details. */
type Source = 'path' | 'query' | 'body';

/** The parts of a request that can name the command. */
export interface CommandSources {
  /** The request path, e.g. `/callbackAfterSendSingleMsgCommand`. */
  readonly rawPath: string;
  /** Query string parameters, if any. */
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | undefined;
  /** The parsed body. */
  readonly body: unknown;
}

/** The command named in the path's last segment, if the path has one. */
function pathCommand(rawPath: string): string | undefined {
  return rawPath.split('/').findLast((part) => part !== '');
}

/** The body's `callbackCommand`, if the body is an object that has a string one. */
function bodyCommand(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = (body as Record<string, unknown>).callbackCommand;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks that every place naming a command names the same, known one. Throws a 400 when they
 * disagree and a 404 for a command this receiver does not serve. A request that names none is
 * left to the body's validation, which requires `callbackCommand`.
 */
export function assertCallbackCommand(request: CommandSources): void {
  const named: [Source, string][] = [];
  const fromPath = pathCommand(request.rawPath);
  const fromQuery = request.queryStringParameters?.command;
  const fromBody = bodyCommand(request.body);
  if (fromPath !== undefined) named.push(['path', fromPath]);
  if (fromQuery !== undefined) named.push(['query', fromQuery]);
  if (fromBody !== undefined) named.push(['body', fromBody]);

  const commands = new Set(named.map(([, command]) => command));
  if (commands.size > 1) {
    throw callbackError(
      400,
      'The request names more than one callback command',
      `command sources disagree: ${named.map(([source]) => source).join(', ')}`,
    );
  }
  const [command] = commands;
  if (command !== undefined && command !== AFTER_SEND_SINGLE_MSG) {
    throw callbackError(
      404,
      `This receiver only handles ${AFTER_SEND_SINGLE_MSG}`,
      `unknown command in ${named.map(([source]) => source).join(', ')}; turn off other callbacks that use this URL in webhooks.yml`,
    );
  }
}
