/**
 * The building blocks of every callback's valibot schema, as real OpenIM servers send them (Go's
 * structs, every key always present, `null` for an empty list), and the one way a body is
 * validated: every problem by field, never quoting a received value.
 */
import * as v from 'valibot';

/**
 * Upper bound for every ID, in UTF-8 bytes. Real IDs are 32 to 64 characters; 512 bytes keeps a
 * derived `conversationID` (`si_` + two user IDs) well under DynamoDB's 2,048-byte key limit.
 */
export const MAX_ID_BYTES = 512;

/** Upper bound for the command name, in UTF-8 bytes. */
const MAX_COMMAND_BYTES = 128;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/**
 * Whether `text` takes at most `maxBytes` in UTF-8, as valibot's `maxBytes` counts them (a lone
 * surrogate as the 3 bytes of U+FFFD). Counting only when the length alone cannot settle it: no
 * UTF-16 unit takes more than 3 bytes, and valibot encodes every string into a new array to count.
 */
function fitsBytes(text: string, maxBytes: number): boolean {
  return text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes;
}

/** A string of at most `maxBytes`; `nonEmpty` for identifiers that must say something. */
function boundedString(maxBytes: number, nonEmpty: boolean) {
  const checks = [
    v.check<string, string>(
      (text) => fitsBytes(text, maxBytes),
      `must be at most ${maxBytes} bytes`,
    ),
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

/** A non-empty ID. */
export const Id = boundedString(MAX_ID_BYTES, true);
/** An ID that Go sends as `""` when it does not apply (e.g. `groupID` of a one-to-one message). */
export const IdOrEmpty = boundedString(MAX_ID_BYTES, false);
/** Free text. Its size counts only toward the whole record's (see `message-record.ts`). */
export const Text = v.string('must be a string');
/** Go `int32`. */
export const Int32 = integerIn(INT32_MIN, INT32_MAX);
/** Go `int64` ms timestamps; JSON numbers beyond 2^53 cannot be kept exactly, so are refused. */
export const Int64 = integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
/** Go `uint32`: OpenIM's per-conversation sequence number. */
export const Seq = integerIn(0, UINT32_MAX);
/** A seq that names a message: OpenIM numbers each conversation's messages from 1. */
export const RealSeq = integerIn(1, UINT32_MAX);
/** The command, as the body's `callbackCommand`. */
export const Command = boundedString(MAX_COMMAND_BYTES, true);

/**
 * The 18 fields of OpenIM's `CommonCallbackReq` for messages, in Go's struct order: every message
 * callback's body starts with them.
 */
export const COMMON_MESSAGE_ENTRIES = {
  sendID: Id,
  callbackCommand: Command,
  serverMsgID: Id,
  clientMsgID: Id,
  /** Tracing only; may be empty, and an empty one must not cost a message. */
  operationID: IdOrEmpty,
  senderPlatformID: Int32,
  senderNickname: Text,
  sessionType: Int32,
  msgFrom: Int32,
  contentType: Int32,
  status: Int32,
  /** Only from OpenIM v3.8.1 on. */
  sendTime: v.optional(Int64),
  createTime: Int64,
  content: Text,
  seq: Seq,
  atUserList: v.nullable(v.array(Id, 'must be a list of user IDs or null')),
  faceURL: Text,
  ex: Text,
} as const;

/** The fields every message callback has. */
export type CommonMessage = v.InferOutput<v.ObjectSchema<typeof COMMON_MESSAGE_ENTRIES, undefined>>;

/** Field path to its problems; never the received value, which may be message content. */
export type FieldProblems = Record<string, string[]>;

/** The outcome of validating a body: the value, or the problems by field. */
export type Validation<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly problems: FieldProblems };

/** Messages for issues that carry no message of their own; never quote the received value. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'loose_object' || issue.type === 'object') {
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

/** Validates a parsed JSON body against `schema`. Pure; never throws. */
export function validateBody<T>(schema: v.GenericSchema<unknown, T>, body: unknown): Validation<T> {
  const result = v.safeParse(schema, body, { message: describeIssue });
  if (result.success) {
    const message = result.output as Record<string, unknown>;
    for (const key of KEYS_LOOSE_OBJECT_DROPS) {
      if (Object.hasOwn(body as object, key)) message[key] = (body as Record<string, unknown>)[key];
    }
    return { ok: true, message: result.output };
  }
  const flat = v.flatten(result.issues);
  const problems: FieldProblems = {};
  if (flat.root) problems.body = flat.root;
  for (const [path, messages] of Object.entries(flat.nested ?? {})) {
    if (messages) problems[path] = messages;
  }
  return { ok: false, problems };
}
