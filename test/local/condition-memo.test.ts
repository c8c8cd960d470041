import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { memoizeConditionParses } from '../../local/condition-memo.ts';

const require = createRequire(import.meta.url);
/** dynalite's check of a request's expressions: a message when it refuses them. */
const { validateExpressions } = require('dynalite/validations/index.js') as {
  validateExpressions(data: Record<string, unknown>): string | undefined;
};

/** What dynalite says of a request, and the condition it parsed. */
function checked(request: Record<string, unknown>) {
  const data = structuredClone(request);
  return { problem: validateExpressions(data), condition: data._condition };
}

const REQUESTS: Record<string, unknown>[] = [
  {
    ConditionExpression: 'attribute_not_exists(#id)',
    ExpressionAttributeNames: { '#id': 'serverMsgID' },
  },
  {
    ConditionExpression: 'attribute_not_exists(#id)',
    ExpressionAttributeNames: { '#id': 'serverMsgID', '#x': 'unused' },
  },
  { ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'seq' } },
  {
    ConditionExpression: 'attribute_not_exists(#nope)',
    ExpressionAttributeNames: { '#id': 'seq' },
  },
  { ConditionExpression: 'attribute_not_exists(', ExpressionAttributeNames: { '#id': 'seq' } },
  { ConditionExpression: 'attribute_not_exists(serverMsgID)' },
  { ConditionExpression: 'attribute_not_exists(size)' },
  {
    ConditionExpression: '#n = :v',
    ExpressionAttributeNames: { '#n': 'seq' },
    ExpressionAttributeValues: { ':v': { N: '3' } },
  },
];

describe("the engine's memo of condition parses", () => {
  it('leaves every answer of dynalite as it was, the first time and every time after', () => {
    // GIVEN what dynalite makes of each request without the memo
    const before = REQUESTS.map(checked);

    // WHEN the memo is on, and each request comes three times
    memoizeConditionParses();
    const after = [1, 2, 3].map(() => REQUESTS.map(checked));

    // THEN every answer, refusals included, and every parsed condition is the same
    for (const answers of after) expect(answers).toEqual(before);
    expect(before.map(({ problem }) => problem !== undefined)).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
  });
});
