/**
 * Go's `encoding/json` as OpenIM's API applies it to the protobuf-generated structs: requests are
 * decoded like `json.Unmarshal` (syntax checked first, case-insensitive keys, unknown keys ignored,
 * integers only from JSON numbers, first type error reported), responses are encoded like
 * `json.Marshal` (keys in struct order, nothing omitted but main's maps, empty lists, bytes and maps
 * as `null`, map keys sorted, bytes as base64, `<`, `>`, `&` escaped).
 */

/** The two server refs whose wire formats differ (protocol alpha.12 vs alpha.18). */
export type OpenImVariant = 'v3.8.3' | 'main';

/** How one field is typed in the generated Go struct. */
export type Kind =
  | { readonly t: 'string' }
  | { readonly t: 'int'; readonly go: 'int32' | 'int64' | 'uint32' }
  | { readonly t: 'uint64' }
  | { readonly t: 'bool' }
  | { readonly t: 'enum'; readonly go: string }
  | { readonly t: 'bytes' }
  | { readonly t: 'list'; readonly of: Kind }
  | { readonly t: 'message'; readonly schema: Schema }
  | { readonly t: 'map'; readonly of: Kind };

/** A generated struct: its Go type name (package-qualified) and its JSON fields in struct order. */
export interface Schema {
  readonly go: string;
  readonly fields: readonly (readonly [string, Kind])[];
}

/** Field kinds, named as the `.pb.go` files spell their Go types. */
export const K = {
  string: { t: 'string' },
  int32: { t: 'int', go: 'int32' },
  int64: { t: 'int', go: 'int64' },
  uint32: { t: 'int', go: 'uint32' },
  uint64: { t: 'uint64' },
  bool: { t: 'bool' },
  bytes: { t: 'bytes' },
  strings: { t: 'list', of: { t: 'string' } },
  int64s: { t: 'list', of: { t: 'int', go: 'int64' } },
} as const satisfies Record<string, Kind>;

/** A pointer-to-struct field. */
export function message(schema: Schema): Kind {
  return { t: 'message', schema };
}

/** A `repeated` message field (`[]*T`). */
export function messages(schema: Schema): Kind {
  return { t: 'list', of: { t: 'message', schema } };
}

/** A `map<string, …>` field. */
export function map(of: Kind): Kind {
  return { t: 'map', of };
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A Go string as `encoding/json` writes it: HTML-escaped, U+2028/U+2029 escaped, valid UTF-8. */
export function goString(value: string): string {
  // Go strings are bytes: a lone surrogate could only come from invalid UTF-8, which Go writes as U+FFFD.
  return JSON.stringify(value.toWellFormed()).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Go's map key order: `strings.Compare` on the UTF-8 bytes. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Strings sorted as Go's `sort.Strings` sorts them. */
export function goSorted(values: Iterable<string>): string[] {
  return [...values].sort(byteOrder);
}

function isEmptyMap(value: unknown): boolean {
  return value === null || value === undefined || Object.keys(value as object).length === 0;
}

function encodeValue(kind: Kind, value: unknown, variant: OpenImVariant): string {
  switch (kind.t) {
    case 'string':
      return goString(typeof value === 'string' ? value : '');
    case 'int':
    case 'enum':
      return String(typeof value === 'number' ? Math.trunc(value) : 0);
    case 'uint64':
      return typeof value === 'bigint' || typeof value === 'number' ? String(value) : '0';
    case 'bool':
      return value === true ? 'true' : 'false';
    case 'bytes':
      // Empty bytes come back from the gRPC hop as nil, so `""` and absent both encode as null.
      return typeof value === 'string' && value !== ''
        ? `"${Buffer.from(value, 'utf8').toString('base64')}"`
        : 'null';
    case 'list': {
      const items = Array.isArray(value) ? value : [];
      if (items.length === 0) return 'null';
      return `[${items.map((item) => encodeValue(kind.of, item, variant)).join(',')}]`;
    }
    case 'message':
      return value === null || value === undefined
        ? 'null'
        : encodeStruct(kind.schema, value as Record<string, unknown>, variant);
    case 'map': {
      if (isEmptyMap(value)) return 'null';
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
        byteOrder(a, b),
      );
      return `{${entries.map(([k, v]) => `${goString(k)}:${encodeValue(kind.of, v, variant)}`).join(',')}}`;
    }
  }
}

/**
 * `value` as Go's `encoding/json` writes the generated struct. On main (protocol alpha.18) map
 * fields carry `omitempty`, so an empty map is left out; on v3.8.3 (alpha.12) it is `null`.
 */
export function encodeStruct(
  schema: Schema,
  value: Record<string, unknown>,
  variant: OpenImVariant,
): string {
  const parts: string[] = [];
  for (const [name, kind] of schema.fields) {
    const field = value[name];
    if (kind.t === 'map' && variant === 'main' && isEmptyMap(field)) continue;
    parts.push(`${goString(name)}:${encodeValue(kind, field, variant)}`);
  }
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing (the syntax check `json.Unmarshal` runs over the whole input before decoding)

/** A JSON value as parsed, numbers kept as their literal text. */
export type JsonNode =
  | { readonly k: 'object'; readonly entries: readonly (readonly [string, JsonNode])[] }
  | { readonly k: 'array'; readonly items: readonly JsonNode[] }
  | { readonly k: 'string'; readonly value: string }
  | { readonly k: 'number'; readonly raw: string }
  | { readonly k: 'bool'; readonly value: boolean }
  | { readonly k: 'null' };

/** A request body Go's decoder rejects; `message` is Go's own error text. */
export class GoJsonError extends Error {
  override readonly name = 'GoJsonError';
}

/** Go's `quoteChar`: the offending byte as Go's scanner names it in a syntax error. */
function quoteChar(byte: number): string {
  if (byte === 0x27) return `'\\''`;
  if (byte === 0x22) return `'"'`;
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    12: '\\f',
    10: '\\n',
    13: '\\r',
    9: '\\t',
    11: '\\v',
    92: '\\\\',
  };
  const name = named[byte];
  if (name !== undefined) return `'${name}'`;
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`;
  // Go quotes the byte as the rune U+00XX: the C1 controls, NBSP and the soft hyphen are escaped.
  if (byte >= 0x80 && (byte <= 0xa0 || byte === 0xad)) {
    return `'\\u00${byte.toString(16).padStart(2, '0')}'`;
  }
  return `'${String.fromCharCode(byte)}'`;
}

const decoder = new TextDecoder('utf-8');

/** Parses `bytes` with Go's grammar and Go's syntax error messages. */
export function parseGoJson(bytes: Uint8Array): JsonNode {
  let i = 0;
  const n = bytes.length;
  const eof = () => new GoJsonError('unexpected end of JSON input');
  const at = (): number => {
    if (i >= n) throw eof();
    return bytes[i] as number;
  };
  const invalid = (context: string): never => {
    if (i >= n) throw eof();
    throw new GoJsonError(`invalid character ${quoteChar(bytes[i] as number)} ${context}`);
  };
  const skipSpace = () => {
    while (i < n) {
      const c = bytes[i];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const hexValue = (c: number) => {
    if (isDigit(c)) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x57;
    if (c >= 0x41 && c <= 0x46) return c - 0x37;
    return -1;
  };

  const parseString = (): string => {
    i++; // the opening quote
    let text = '';
    let start = i;
    const flush = (end: number) => {
      text += decoder.decode(bytes.subarray(start, end));
    };
    const readU4 = (): number => {
      let code = 0;
      for (let k = 0; k < 4; k++) {
        const h = hexValue(at());
        if (h < 0) invalid('in \\u hexadecimal character escape');
        code = code * 16 + h;
        i++;
      }
      return code;
    };
    for (;;) {
      const c = at();
      if (c === 0x22) {
        flush(i);
        i++;
        return text;
      }
      if (c < 0x20) invalid('in string literal');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      flush(i);
      i++;
      const e = at();
      const simple: Record<number, string> = {
        34: '"',
        92: '\\',
        47: '/',
        98: '\b',
        102: '\f',
        110: '\n',
        114: '\r',
        116: '\t',
      };
      const replacement = simple[e];
      if (replacement !== undefined) {
        text += replacement;
        i++;
      } else if (e === 0x75) {
        i++;
        const code = readU4();
        if (code >= 0xd800 && code < 0xdc00) {
          // Go pairs a high surrogate only with an immediately following low one; else U+FFFD.
          const save = i;
          let low = -1;
          if (bytes[i] === 0x5c && bytes[i + 1] === 0x75) {
            i += 2;
            const next = readU4();
            if (next >= 0xdc00 && next < 0xe000) low = next;
            else i = save;
          }
          text += low >= 0 ? String.fromCharCode(code, low) : '\ufffd';
        } else if (code >= 0xdc00 && code < 0xe000) {
          text += '\ufffd';
        } else {
          text += String.fromCharCode(code);
        }
      } else {
        invalid('in string escape code');
      }
      start = i;
    }
  };

  const parseNumber = (): JsonNode => {
    const begin = i;
    if (at() === 0x2d) {
      i++;
      if (!isDigit(at())) invalid('in numeric literal');
    }
    if (at() === 0x30) {
      i++;
    } else {
      while (i < n && isDigit(bytes[i] as number)) i++;
    }
    if (i < n && bytes[i] === 0x2e) {
      i++;
      if (!isDigit(at())) invalid('after decimal point in numeric literal');
      while (i < n && isDigit(bytes[i] as number)) i++;
    }
    if (i < n && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
      i++;
      if (at() === 0x2b || at() === 0x2d) i++;
      if (!isDigit(at())) invalid('in exponent of numeric literal');
      while (i < n && isDigit(bytes[i] as number)) i++;
    }
    return { k: 'number', raw: decoder.decode(bytes.subarray(begin, i)) };
  };

  const parseLiteral = (word: string, node: JsonNode): JsonNode => {
    i++;
    for (let k = 1; k < word.length; k++) {
      if (at() !== word.charCodeAt(k)) invalid(`in literal ${word} (expecting '${word[k]}')`);
      i++;
    }
    return node;
  };

  const parseValue = (): JsonNode => {
    skipSpace();
    const c = at();
    if (c === 0x7b) return parseObject();
    if (c === 0x5b) return parseArray();
    if (c === 0x22) return { k: 'string', value: parseString() };
    if (c === 0x2d || isDigit(c)) return parseNumber();
    if (c === 0x74) return parseLiteral('true', { k: 'bool', value: true });
    if (c === 0x66) return parseLiteral('false', { k: 'bool', value: false });
    if (c === 0x6e) return parseLiteral('null', { k: 'null' });
    return invalid('looking for beginning of value');
  };

  const parseObject = (): JsonNode => {
    i++;
    const entries: [string, JsonNode][] = [];
    skipSpace();
    if (at() === 0x7d) {
      i++;
      return { k: 'object', entries };
    }
    for (;;) {
      skipSpace();
      if (at() !== 0x22) invalid('looking for beginning of object key string');
      const key = parseString();
      skipSpace();
      if (at() !== 0x3a) invalid('after object key');
      i++;
      entries.push([key, parseValue()]);
      skipSpace();
      const c = at();
      i++;
      if (c === 0x2c) continue;
      if (c === 0x7d) return { k: 'object', entries };
      i--;
      invalid('after object key:value pair');
    }
  };

  const parseArray = (): JsonNode => {
    i++;
    const items: JsonNode[] = [];
    skipSpace();
    if (at() === 0x5d) {
      i++;
      return { k: 'array', items };
    }
    for (;;) {
      items.push(parseValue());
      skipSpace();
      const c = at();
      i++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return { k: 'array', items };
      i--;
      invalid('after array element');
    }
  };

  const root = parseValue();
  skipSpace();
  if (i < n) invalid('after top-level value');
  return root;
}

// ---------------------------------------------------------------------------------------------
// Decoding into a struct

/** Go's `foldName`: ASCII upper case, and the long s and Kelvin sign fold to S and K. */
function foldName(name: string): string {
  return name
    .toUpperCase()
    .replace(/\u017f/g, 'S')
    .replace(/\u212a/g, 'K');
}

function goTypeName(kind: Kind): string {
  switch (kind.t) {
    case 'string':
      return 'string';
    case 'int':
    case 'enum':
      return kind.go;
    case 'uint64':
      return 'uint64';
    case 'bool':
      return 'bool';
    case 'bytes':
      return '[]uint8';
    case 'list':
      return kind.of.t === 'message' ? `[]*${kind.of.schema.go}` : `[]${goTypeName(kind.of)}`;
    case 'message':
      return kind.schema.go;
    case 'map':
      return `map[string]${goTypeName(kind.of)}`;
  }
}

/** What Go's `UnmarshalTypeError` calls a JSON value of this node's type. */
function describe(node: JsonNode): string {
  if (node.k === 'bool') return 'bool';
  return node.k;
}

const INT_RANGE: Record<'int32' | 'int64' | 'uint32', readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
};

interface DecodeState {
  error: string | undefined;
  /** Go's `errorContext`: the innermost struct and the field names from the top. */
  struct: string | undefined;
  path: string[];
}

function typeError(state: DecodeState, value: string, kind: Kind): void {
  if (state.error !== undefined) return; // Go keeps the first type error and decodes on.
  const type = goTypeName(kind);
  state.error =
    state.struct === undefined
      ? `json: cannot unmarshal ${value} into Go value of type ${type}`
      : `json: cannot unmarshal ${value} into Go struct field ${state.struct}.${state.path.join('.')} of type ${type}`;
}

function zero(kind: Kind): unknown {
  switch (kind.t) {
    case 'string':
      return '';
    case 'int':
    case 'enum':
      return 0;
    case 'uint64':
      return 0n;
    case 'bool':
      return false;
    default:
      return null;
  }
}

/** A struct value with every field at Go's zero value. */
export function zeroStruct(schema: Schema): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [name, kind] of schema.fields) value[name] = zero(kind);
  return value;
}

function decodeValue(node: JsonNode, kind: Kind, current: unknown, state: DecodeState): unknown {
  if (node.k === 'null') {
    // Go leaves scalars alone on null and sets pointers, slices and maps to nil.
    return kind.t === 'list' || kind.t === 'message' || kind.t === 'map' || kind.t === 'bytes'
      ? null
      : current;
  }
  switch (kind.t) {
    case 'string':
      if (node.k === 'string') return node.value;
      typeError(state, describe(node), kind);
      return current;
    case 'bool':
      if (node.k === 'bool') return node.value;
      typeError(state, describe(node), kind);
      return current;
    case 'int':
    case 'enum': {
      if (node.k !== 'number') {
        typeError(state, describe(node), kind);
        return current;
      }
      const range = INT_RANGE[kind.t === 'enum' ? 'int32' : kind.go];
      if (!/^-?\d+$/.test(node.raw) || BigInt(node.raw) < range[0] || BigInt(node.raw) > range[1]) {
        typeError(state, `number ${node.raw}`, kind);
        return current;
      }
      return Number(node.raw);
    }
    case 'uint64':
      if (node.k !== 'number') {
        typeError(state, describe(node), kind);
        return current;
      }
      if (!/^\d+$/.test(node.raw) || BigInt(node.raw) > 2n ** 64n - 1n) {
        typeError(state, `number ${node.raw}`, kind);
        return current;
      }
      return BigInt(node.raw);
    case 'bytes':
      if (node.k === 'string') return Buffer.from(node.value, 'base64').toString('utf8');
      typeError(state, describe(node), kind);
      return current;
    case 'list': {
      if (node.k !== 'array') {
        typeError(state, describe(node), kind);
        return current;
      }
      const element = kind.of;
      return node.items.map((item) => {
        // A null element of []*T is a nil pointer; the fake reads it as a zero struct.
        if (item.k === 'null' && element.t === 'message') return zeroStruct(element.schema);
        return decodeValue(item, element, zero(element), state);
      });
    }
    case 'message':
      if (node.k !== 'object') {
        typeError(state, describe(node), kind);
        return current;
      }
      return decodeObject(node, kind.schema, state);
    case 'map': {
      if (node.k !== 'object') {
        typeError(state, describe(node), kind);
        return current;
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of node.entries)
        out[key] = decodeValue(item, kind.of, zero(kind.of), state);
      return out;
    }
  }
}

function decodeObject(
  node: JsonNode & { k: 'object' },
  schema: Schema,
  state: DecodeState,
): Record<string, unknown> {
  const value = zeroStruct(schema);
  const structName = schema.go.slice(schema.go.lastIndexOf('.') + 1);
  for (const [key, item] of node.entries) {
    const field =
      schema.fields.find(([name]) => name === key) ??
      schema.fields.find(([name]) => foldName(name) === foldName(key));
    if (field === undefined) continue; // unknown keys are skipped
    const [name, kind] = field;
    const saved = state.struct;
    state.struct = structName;
    state.path.push(name);
    value[name] = decodeValue(item, kind, value[name], state);
    state.path.pop();
    state.struct = saved;
  }
  return value;
}

/**
 * The body decoded into `schema` as `json.Unmarshal` into the Go struct would, with every field
 * present at its zero value; throws {@link GoJsonError} with Go's message when Go would fail.
 */
export function decodeRequest(bytes: Uint8Array, schema: Schema): Record<string, unknown> {
  const root = parseGoJson(bytes);
  const state: DecodeState = { error: undefined, struct: undefined, path: [] };
  let value: Record<string, unknown>;
  if (root.k === 'object') value = decodeObject(root, schema, state);
  else if (root.k === 'null') value = zeroStruct(schema);
  else {
    typeError(state, describe(root), { t: 'message', schema });
    value = zeroStruct(schema);
  }
  if (state.error !== undefined) throw new GoJsonError(state.error);
  return value;
}
