/**
 * The body of OpenIM's `callbackAfterSendSingleMsgCommand`, as real servers send it (v3.0 to v3.8.x
 * and `main`): Go's `CallbackAfterSendSingleMsgReq`, every key always present, `sendTime` only from
 * v3.8.1 on, `atUserList` null when nobody is mentioned, `seq` always 0.
 */
import * as v from 'valibot';

/** The only command this receiver stores. */
export const AFTER_SEND_SINGLE_MSG = 'callbackAfterSendSingleMsgCommand';

/**
 * Upper bound for every ID, in UTF-8 bytes. Real IDs are 32 to 64 characters; 512 bytes keeps the
 * derived `conversationID` (`si_` + two user IDs) well under DynamoDB's 2,048-byte key limit.
 */
export const MAX_ID_BYTES = 512;

/** Upper bound for the command name, in UTF-8 bytes. */
const MAX_COMMAND_BYTES = 128;

/**
 * Upper bound for any one free-text field, in UTF-8 bytes: one DynamoDB item (400 KB). The whole
 * record's size is checked after validation; this bound only stops absurd values early.
 */
export const MAX_TEXT_BYTES = 400 * 1024;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/** A string with a byte bound; `nonEmpty` for identifiers that must say something. */
function boundedString(maxBytes: number, nonEmpty: boolean) {
  const checks = [
    v.maxBytes<string, number, string>(maxBytes, `must be at most ${maxBytes} bytes`),
  ] as const;
  return nonEmpty
    ? v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'), ...checks)
    : v.pipe(v.string('must be a string'), ...checks);
}

/** An integer in a closed range, as Go's fixed-width integers encode them. */
function integerIn(min: number, max: number) {
  return v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
}

const Id = boundedString(MAX_ID_BYTES, true);
const Text = boundedString(MAX_TEXT_BYTES, false);
const Int32 = integerIn(INT32_MIN, INT32_MAX);
/** Go int64 millisecond timestamps; JSON numbers beyond 2^53 cannot be kept exactly, so refused. */
const Int64 = integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

/** The 19 fields of `CallbackAfterSendSingleMsgReq`; unknown extra fields are kept. */
export const CallbackAfterSendSingleMsgReqSchema = v.looseObject({
  sendID: Id,
  callbackCommand: boundedString(MAX_COMMAND_BYTES, true),
  serverMsgID: Id,
  clientMsgID: Id,
  /** Tracing only; may be empty, and an empty one must not cost a message. */
  operationID: boundedString(MAX_ID_BYTES, false),
  senderPlatformID: Int32,
  senderNickname: Text,
  sessionType: Int32,
  msgFrom: Int32,
  contentType: Int32,
  status: Int32,
  sendTime: v.optional(Int64),
  createTime: Int64,
  content: Text,
  seq: integerIn(0, UINT32_MAX),
  atUserList: v.nullable(v.array(Id, 'must be a list of user IDs or null')),
  faceURL: Text,
  ex: Text,
  recvID: Id,
});

/** A validated callback body. */
export type CallbackAfterSendSingleMsgReq = v.InferOutput<
  typeof CallbackAfterSendSingleMsgReqSchema
>;

/** The names of the 19 known fields, in Go's struct order. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(
  Object.keys(CallbackAfterSendSingleMsgReqSchema.entries),
);

/** Field path to its problems; never the received value, which may be message content. */
export type FieldProblems = Record<string, string[]>;

/** The outcome of validating a body: the message, or the problems by field. */
export type ValidationResult =
  | { readonly ok: true; readonly message: CallbackAfterSendSingleMsgReq }
  | { readonly ok: false; readonly problems: FieldProblems };

/** Messages for issues that carry no message of their own; never quote the received value. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'loose_object') {
    return issue.path ? 'is required' : 'must be a JSON object';
  }
  return `must be ${issue.expected ?? 'valid'}`;
}

/**
 * Extra keys valibot's looseObject leaves out of its output (its guard against prototype
 * pollution). Here they are plain data, copied into fresh objects and JSON, and a field left out is
 * lost for good, so they are put back. `__proto__` never arrives: the body parser refuses it.
 */
const KEYS_LOOSE_OBJECT_DROPS = ['prototype', 'constructor'] as const;

/** Validates a parsed JSON body against the callback schema. Pure; never throws. */
export function validateCallback(body: unknown): ValidationResult {
  const result = v.safeParse(CallbackAfterSendSingleMsgReqSchema, body, { message: describeIssue });
  if (result.success) {
    const message: Record<string, unknown> = result.output;
    for (const key of KEYS_LOOSE_OBJECT_DROPS) {
      if (Object.hasOwn(body as object, key)) message[key] = (body as Record<string, unknown>)[key];
    }
    return { ok: true, message: result.output };
  }
  const flat = v.flatten<typeof CallbackAfterSendSingleMsgReqSchema>(result.issues);
  const problems: FieldProblems = {};
  if (flat.root) problems.body = flat.root;
  for (const [path, messages] of Object.entries(flat.nested ?? {})) {
    if (messages) problems[path] = messages;
  }
  return { ok: false, problems };
}
