/** fast-check arbitraries for OpenIM callback bodies, valid ones and ways to break them. */
import fc from 'fast-check';
import { SINGLE_MSG_FIELDS as KNOWN_FIELDS } from '../../lambda/callbacks/after-send-single-msg.ts';
import { MAX_ID_BYTES } from '../../lambda/message-fields.ts';
import { COMMAND, type OpenImMessage } from './openim-wire.ts';

/** Any non-empty ID that fits the bound, across all of Unicode (surrogate pairs included). */
export const idArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((s) => Buffer.byteLength(s) <= MAX_ID_BYTES);

/** Free text of any kind: HTML, JSON-in-a-string, emoji, line separators. */
export const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify({ content: v })),
);

const int32Arb = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/** A valid message, with or without `sendTime` (absent before OpenIM v3.8.1). */
export const messageArb: fc.Arbitrary<OpenImMessage> = fc.record(
  {
    sendID: idArb,
    callbackCommand: fc.constant(COMMAND),
    serverMsgID: idArb,
    clientMsgID: idArb,
    operationID: fc.oneof(fc.constant(''), idArb),
    senderPlatformID: int32Arb,
    senderNickname: textArb,
    sessionType: fc.oneof(fc.constant(1), fc.constant(4), int32Arb),
    msgFrom: fc.oneof(fc.constant(100), fc.constant(200), int32Arb),
    contentType: int32Arb,
    status: int32Arb,
    sendTime: fc.maxSafeInteger(),
    createTime: fc.maxSafeInteger(),
    content: textArb,
    seq: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    atUserList: fc.oneof(fc.constant(null), fc.array(idArb, { maxLength: 5 })),
    faceURL: textArb,
    ex: textArb,
    recvID: idArb,
  },
  { requiredKeys: [...KNOWN_FIELDS].filter((k) => k !== 'sendTime') as never },
);

/** Fields a newer OpenIM might add: any JSON values under names this version does not know. */
export const extraFieldsArb = fc
  .dictionary(
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => !KNOWN_FIELDS.has(k) && k !== '__proto__' && k !== 'constructor'),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 3 },
  )
  .filter((extra) => !hasRefusedKey(extra));

/**
 * Whether JSON holds, at any depth, a key the body parser refuses (middy's prototype-pollution
 * guard: `__proto__`, or `constructor` holding a `prototype`). Such a body is answered 422 by
 * design (see app.test.ts), so it is not a valid message.
 */
function hasRefusedKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(
    ([key, inner]) =>
      key === '__proto__' ||
      (key === 'constructor' &&
        typeof inner === 'object' &&
        inner !== null &&
        Object.hasOwn(inner, 'prototype')) ||
      hasRefusedKey(inner),
  );
}

const STRING_FIELDS = new Set([
  'sendID',
  'callbackCommand',
  'serverMsgID',
  'clientMsgID',
  'operationID',
  'senderNickname',
  'content',
  'faceURL',
  'ex',
  'recvID',
]);
const ID_FIELDS = ['sendID', 'serverMsgID', 'clientMsgID', 'recvID', 'callbackCommand'];
const INTEGER_FIELDS = [
  'senderPlatformID',
  'sessionType',
  'msgFrom',
  'contentType',
  'status',
  'seq',
  'createTime',
  'sendTime',
];

/** A value of the wrong JSON type for `field`. */
function wrongTypeFor(field: string): fc.Arbitrary<unknown> {
  if (STRING_FIELDS.has(field)) {
    return fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string()),
      fc.object(),
    );
  }
  if (field === 'atUserList') {
    return fc.oneof(
      fc.string(),
      fc.integer(),
      fc.array(fc.integer(), { minLength: 1 }),
      fc.object(),
    );
  }
  return fc.oneof(
    fc.string(),
    fc.double({ min: 0.1, max: 0.9, noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
}

/** A way to make a valid message invalid, described for the failure report. */
export type Breakage = {
  field: string;
  how: 'missing' | 'wrong type' | 'empty' | 'too long' | 'out of range';
};

/** A valid message made invalid in exactly one way, and which field that was. */
export const brokenMessageArb: fc.Arbitrary<{ body: Record<string, unknown>; breakage: Breakage }> =
  fc
    .tuple(
      messageArb,
      fc.constantFrom(...KNOWN_FIELDS),
      fc.constantFrom<Breakage['how']>(
        'missing',
        'wrong type',
        'empty',
        'too long',
        'out of range',
      ),
    )
    .chain(([message, field, how]) => {
      const body: Record<string, unknown> = { ...message };
      const broken = (value: unknown, kind: Breakage['how']) => {
        if (kind === 'missing') delete body[field];
        else body[field] = value;
        return { body, breakage: { field, how: kind } };
      };
      // sendTime may be missing (servers before v3.8.1), so only a wrong value breaks it.
      if (how === 'missing' && field !== 'sendTime') return fc.constant(broken(undefined, how));
      if (how === 'empty' && ID_FIELDS.includes(field)) return fc.constant(broken('', how));
      if (how === 'too long' && ID_FIELDS.includes(field)) {
        return fc.constant(
          broken('x'.repeat(field === 'callbackCommand' ? 129 : MAX_ID_BYTES + 1), how),
        );
      }
      if (how === 'out of range' && INTEGER_FIELDS.includes(field)) {
        const beyond = field.endsWith('Time') ? 2 ** 53 + 2 : field === 'seq' ? -1 : 2 ** 31;
        return fc.constant(broken(beyond, how));
      }
      return wrongTypeFor(field).map((value) => broken(value, 'wrong type'));
    });
