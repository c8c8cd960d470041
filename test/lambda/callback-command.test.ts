import { describe, expect, it } from 'vitest';
import { assertCallbackCommand } from '../../lambda/callback-command.ts';

const COMMAND = 'callbackAfterSendSingleMsgCommand';
const body = { callbackCommand: COMMAND };

/** The status of the error `assertCallbackCommand` throws, or 'ok'. */
function outcome(request: Parameters<typeof assertCallbackCommand>[0]): number | 'ok' {
  try {
    assertCallbackCommand(request);
    return 'ok';
  } catch (error) {
    return (error as { statusCode: number }).statusCode;
  }
}

describe('assertCallbackCommand', () => {
  it.each([
    ['v3.5-v3.8: path', { rawPath: `/${COMMAND}`, body }],
    [
      'main: path with ?key=',
      { rawPath: `/${COMMAND}`, queryStringParameters: { key: 'e30=' }, body },
    ],
    ['v3.0-v3.4: ?command=', { rawPath: '/', queryStringParameters: { command: COMMAND }, body }],
    ['v2: body only', { rawPath: '/', body }],
    [
      'docs: ?contenttype=json',
      { rawPath: `/${COMMAND}`, queryStringParameters: { contenttype: 'json' }, body },
    ],
    ['a body that is not an object', { rawPath: `/${COMMAND}`, body: 'text' }],
  ])('accepts the command from %s', (_form, request) => {
    expect(outcome(request)).toBe('ok');
  });

  it.each([
    ['path and body', { rawPath: '/callbackAfterSendGroupMsgCommand', body }],
    ['query and body', { rawPath: '/', queryStringParameters: { command: 'x' }, body }],
    ['path and query', { rawPath: `/${COMMAND}`, queryStringParameters: { command: 'y' }, body }],
  ])('answers 400 when %s disagree', (_pair, request) => {
    expect(outcome(request)).toBe(400);
  });

  it.each([
    ['path', { rawPath: '/callbackBeforeSendSingleMsgCommand', body: {} }],
    [
      'query',
      {
        rawPath: '/',
        queryStringParameters: { command: 'callbackAfterSendGroupMsgCommand' },
        body: {},
      },
    ],
    ['body', { rawPath: '/', body: { callbackCommand: 'callbackAfterSendGroupMsgCommand' } }],
  ])('answers 404 for a command from the %s that it does not serve', (_source, request) => {
    expect(outcome(request)).toBe(404);
  });

  it('leaves a request that names no command to validation', () => {
    expect(outcome({ rawPath: '/', body: {} })).toBe('ok');
  });
});
