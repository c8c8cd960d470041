/** An item's size by DynamoDB's rules, which is what write units and the 400 KB limit count. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** The size of one value of the types a record holds (strings, numbers, null, string lists). */
function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.N === undefined) throw new Error(`no size rule for ${Object.keys(value)}`);
  // About one byte per two significant digits, plus one.
  const digits = value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** An item's size as DynamoDB bills it: attribute names (UTF-8) plus values, in bytes. */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}
