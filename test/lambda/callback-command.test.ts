import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CommandSources, resolveCallback } from '../../lambda/callback-command.ts';
import { CALLBACK_PATHS, CALLBACKS } from '../../lambda/callbacks.ts';

const COMMAND = 'callbackAfterSendSingleMsgCommand';
const body = { callbackCommand: COMMAND };

/** The command resolved, or the status of the error `resolveCallback` throws. */
function outcome(request: CommandSources): string | number {
  try {
    return resolveCallback(request).command;
  } catch (error) {
    return (error as { statusCode: number }).statusCode;
  }
}

describe('resolveCallback', () => {
  it.each([
    ['v3.5-v3.8: path', { routeKey: `POST /${COMMAND}`, body }],
    [
      'main: path with ?key=',
      { routeKey: `POST /${COMMAND}`, queryStringParameters: { key: 'e30=' }, body },
    ],
    [
      'v3.0-v3.4: ?command=',
      { routeKey: 'POST /', queryStringParameters: { command: COMMAND }, body },
    ],
    ['v2: body only', { routeKey: 'POST /', body }],
    [
      'docs: ?contenttype=json',
      { routeKey: `POST /${COMMAND}`, queryStringParameters: { contenttype: 'json' }, body },
    ],
    ['a body that is not an object', { routeKey: `POST /${COMMAND}`, body: 'text' }],
  ])('takes the command from %s', (_form, request) => {
    expect(outcome(request)).toBe(COMMAND);
  });

  it('finds every callback it stores from its route, its query and its body', () => {
    for (const { command } of CALLBACKS) {
      expect(outcome({ routeKey: `POST /${command}`, body: {} })).toBe(command);
      expect(outcome({ routeKey: 'POST /', queryStringParameters: { command }, body: {} })).toBe(
        command,
      );
      expect(outcome({ routeKey: 'POST /', body: { callbackCommand: command } })).toBe(command);
    }
  });

  it('serves a route for each callback and the base URL, and nothing else', () => {
    expect([...CALLBACK_PATHS].sort()).toEqual(
      ['/', ...CALLBACKS.map(({ command }) => `/${command}`)].sort(),
    );
  });

  it('reads the route API Gateway matched, whatever base path or stage the raw path has', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CALLBACKS.map(({ command }) => command)),
        fc.webPath(),
        (command, prefix) => {
          // GIVEN a custom domain's base path or a named stage in front of the route
          const request = {
            routeKey: 'POST /',
            rawPath: `${prefix}/`,
            body: { callbackCommand: command },
          };

          // THEN only the route and the body name the command
          expect(outcome(request)).toBe(command);
        },
      ),
    );
  });

  it.each([
    ['path and body', { routeKey: 'POST /callbackAfterSendGroupMsgCommand', body }],
    ['query and body', { routeKey: 'POST /', queryStringParameters: { command: 'x' }, body }],
    [
      'path and query',
      { routeKey: `POST /${COMMAND}`, queryStringParameters: { command: 'y' }, body },
    ],
  ])('answers 400 when %s disagree', (_pair, request) => {
    expect(outcome(request)).toBe(400);
  });

  it.each([
    ['path', { routeKey: 'POST /callbackBeforeSendSingleMsgCommand', body: {} }],
    [
      'query',
      {
        routeKey: 'POST /',
        queryStringParameters: { command: 'callbackBeforeSendGroupMsgCommand' },
        body: {},
      },
    ],
    [
      'body',
      { routeKey: 'POST /', body: { callbackCommand: 'callbackAfterSingleMsgReadCommand' } },
    ],
  ])('answers 404 for a command from the %s that it does not serve', (_source, request) => {
    expect(outcome(request)).toBe(404);
  });

  it('answers 400 to a request that names no command anywhere', () => {
    expect(outcome({ routeKey: 'POST /', body: {} })).toBe(400);
  });
});
