/**
 * A memo for the embedded engine's parse of condition expressions. dynalite parses the
 * `ConditionExpression` of every request with a PEG parser, which costs it more CPU than the rest of
 * checking a put, and the receiver sends the same few conditions over and over (every new message
 * is put with `attribute_not_exists(#id)`). For a condition without attribute values, the parse
 * depends only on its text, its attribute names and whether it is a key condition, and its only
 * side effect is to mark the names it used as used: so its result is kept, and the marks replayed.
 * Conditions with values, which change from request to request, are parsed every time.
 */
import { createRequire } from 'node:module';

/** What dynalite hands its condition parser (`dynalite/validations/index.js`). */
interface ParseContext {
  readonly attrNames?: Readonly<Record<string, string>> | null;
  readonly attrVals?: unknown;
  readonly isKeyCondition?: boolean;
  readonly unusedAttrNames: Record<string, boolean>;
}

/** dynalite's condition parser module: a PEG parser's `parse`. */
interface ConditionParser {
  parse(text: string, options: { context: ParseContext }): unknown;
}

/** Distinct conditions kept; the receiver and the tools use a handful. */
const MAX_KEPT = 256;

/** A kept parse: its result, and the attribute names it marked as used. */
interface Kept {
  readonly result: unknown;
  readonly usedNames: readonly string[];
}

/** Makes dynalite's condition parser keep its parses of conditions without values. Call once. */
export function memoizeConditionParses(): void {
  const require = createRequire(import.meta.url);
  const parser = require('dynalite/db/conditionParser.js') as ConditionParser;
  const parse = parser.parse.bind(parser);
  const kept = new Map<string, Kept>();
  parser.parse = (text, options) => {
    const { context } = options;
    if (context.attrVals != null) return parse(text, options);
    const key = JSON.stringify([text, context.attrNames ?? null, context.isKeyCondition === true]);
    const found = kept.get(key);
    if (found) {
      for (const name of found.usedNames) delete context.unusedAttrNames[name];
      return found.result;
    }
    const unused = Object.keys(context.unusedAttrNames);
    // A syntax error throws, and is thrown again next time: only parses that return are kept.
    const result = parse(text, options);
    const usedNames = unused.filter((name) => !(name in context.unusedAttrNames));
    if (kept.size < MAX_KEPT) kept.set(key, { result, usedNames });
    return result;
  };
}
