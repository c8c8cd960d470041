/**
 * A write-unit meter for the local engine, which reports only the table's units, never an index's:
 * it applies DynamoDB's documented rules to the item as the engine holds it before and after each
 * PutItem and UpdateItem the client sends.
 *
 * - The table: one unit per KB of the larger of the item before and after; a write whose condition
 *   failed still costs the units of the item as it is.
 * - Each index: nothing if the item's entry neither appears, disappears nor changes; one unit per
 *   KB of the entry (its projected attributes plus 100 bytes) to add, remove or change it; a
 *   changed index key is a removal plus an addition.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../../lambda/table-schema.ts';
import { itemBytes } from './item-size.ts';

/** Units counted so far, in all and by table or index. */
export interface WriteUnits {
  total: number;
  readonly byTarget: Record<string, number>;
}

/** An item as the engine holds it. */
type Item = Record<string, AttributeValue>;

/** One unit per started KB, at least one. */
const units = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** DynamoDB's per-entry overhead in an index. */
const INDEX_ENTRY_OVERHEAD = 100;

/** The key of an item in a table, read from a write's input. */
function keyOf(definition: TableDefinition, item: Record<string, AttributeValue>) {
  const names = [definition.partitionKey.name, definition.sortKey?.name].filter(
    (name): name is string => name !== undefined,
  );
  return Object.fromEntries(names.map((name) => [name, item[name] as AttributeValue]));
}

/** The entry an item has in an index, or undefined if it is not in it. */
function indexEntry(
  definition: TableDefinition,
  index: TableDefinition['indexes'][number],
  item: Item | undefined,
): Item | undefined {
  if (!item) return undefined;
  const keys = [index.partitionKey.name, index.sortKey.name];
  if (keys.some((name) => item[name] === undefined)) return undefined;
  const projected = [
    definition.partitionKey.name,
    ...keys,
    ...(index.projection.type === 'INCLUDE' ? index.projection.attributes : []),
  ];
  return Object.fromEntries(
    projected.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]),
  ) as Item;
}

/** Units one index is charged for an item going from `before` to `after`. */
function indexUnits(
  definition: TableDefinition,
  index: TableDefinition['indexes'][number],
  before: Item | undefined,
  after: Item | undefined,
): number {
  const old = indexEntry(definition, index, before);
  const now = indexEntry(definition, index, after);
  const size = (entry: Item) => itemBytes(entry) + INDEX_ENTRY_OVERHEAD;
  if (!old && !now) return 0;
  if (!old && now) return units(size(now));
  if (old && !now) return units(size(old));
  if (!old || !now || JSON.stringify(old) === JSON.stringify(now)) return 0;
  const keyChanged = [index.partitionKey.name, index.sortKey.name].some(
    (name) => JSON.stringify(old[name]) !== JSON.stringify(now[name]),
  );
  return keyChanged ? units(size(old)) + units(size(now)) : units(Math.max(size(old), size(now)));
}

/**
 * Meters every PutItem and UpdateItem that `client` sends to the tables in `tables` (name to
 * definition). Reads go through `reader`, a second client on the same engine.
 */
export function meterWrites(
  client: DynamoDBClient,
  reader: DynamoDBClient,
  tables: Readonly<Record<string, TableDefinition>>,
): WriteUnits {
  const counted: WriteUnits = { total: 0, byTarget: {} };
  const add = (target: string, value: number) => {
    counted.total += value;
    counted.byTarget[target] = (counted.byTarget[target] ?? 0) + value;
  };
  const read = async (tableName: string, key: Record<string, AttributeValue>) => {
    const { Item } = await reader.send(
      new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        TableName?: string;
        Item?: Record<string, AttributeValue>;
        Key?: Record<string, AttributeValue>;
      };
      const definition = tables[input.TableName ?? ''];
      const isWrite =
        context.commandName === 'PutItemCommand' || context.commandName === 'UpdateItemCommand';
      if (!definition || !isWrite || !input.TableName) return next(args);
      const key = input.Key ?? keyOf(definition, input.Item ?? {});
      const before = await read(input.TableName, key);
      try {
        const result = await next(args);
        const after = await read(input.TableName, key);
        add(input.TableName, units(Math.max(itemBytes(before ?? {}), itemBytes(after ?? {}))));
        for (const index of definition.indexes) {
          add(
            `${input.TableName}/${index.indexName}`,
            indexUnits(definition, index, before, after),
          );
        }
        return result;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          add(input.TableName, units(itemBytes(before ?? {})));
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'writeUnitMeter' },
  );
  return counted;
}
