/**
 * The storage adapter: what each kind of callback does to the two tables of `table-schema.ts`.
 * Every operation is idempotent and ends in the same state whatever order the callbacks of one
 * message arrive in, so a repeated delivery, a replay from the fallback or a race between two
 * Lambda instances never stores anything twice or loses a mark. It takes its DynamoDB client as a
 * parameter, so tests point it at the local engine without mocking.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { MessageRecord, RecordValue } from './message-record.ts';
import { within } from './sdk-deadline.ts';
import { type ArchiveTableNames, DerivedAttribute, MESSAGE_KEY } from './table-schema.ts';

/** A revoke: which message (by conversation and seq), who revoked it and when it was received. */
export interface RevokeRecord {
  readonly [field: string]: RecordValue | undefined;
  readonly conversationID: string;
  readonly seq: number;
  readonly revokedBy: string;
  readonly revokedAt: number;
  readonly expiresAt?: number;
}

/** What a callback writes. */
export type ArchiveRecord = MessageRecord | RevokeRecord;

/** What a callback did: changed the archive, or found it already done (a repeat). */
export type StoreOutcome = 'stored' | 'duplicate';

/** What the callbacks do to the archive. */
export interface ArchiveStore {
  /**
   * After-send: stores the message unless a record with its `serverMsgID` exists; then adds only
   * the unknown fields it alone carries.
   */
  insertMessage(record: MessageRecord): Promise<StoreOutcome>;
  /**
   * Save-DB: stores the message, or completes the record the after-send callback made, with the
   * real `seq`; the record becomes this one in every field of `fields` and every derived attribute,
   * but keeps when it was first received, any revoke mark, and fields only the after-send callback
   * carried. Then links the seq to the message and applies a revoke that came first.
   */
  saveMessage(record: MessageRecord, fields: ReadonlySet<string>): Promise<StoreOutcome>;
  /** Revoke: kept on the seq, and marked on the message once the seq is linked to one. */
  recordRevoke(record: RevokeRecord): Promise<StoreOutcome>;
}

/** Options for {@link createDynamoArchiveStore}. */
export interface DynamoArchiveStoreOptions {
  /** The client to send requests with, built once by the caller (see `sdkDeadline`). */
  readonly client: DynamoDBClient;
  /** The two tables' names. */
  readonly tables: ArchiveTableNames;
  /**
   * Time for one callback's writes, retries included: a callback takes up to three requests in
   * turn, each under the client's own deadline.
   * @default undefined (each request's own deadline only)
   */
  readonly deadlineMs?: number | undefined;
}

/** The condition that makes a put idempotent: only the first write of a `serverMsgID` lands. */
export const FIRST_WRITE_ONLY = {
  ConditionExpression: 'attribute_not_exists(#id)',
  ExpressionAttributeNames: { '#id': MESSAGE_KEY.name },
} as const;

/** Attributes the save-DB callback sets only where missing: when the message first arrived. */
const KEPT_FROM_FIRST = new Set<string>([DerivedAttribute.receivedAt, DerivedAttribute.expiresAt]);

/** Attributes the receiver derives from the fields, replaced with them. */
const DERIVED_MESSAGE_ATTRIBUTES = [
  DerivedAttribute.conversationId,
  DerivedAttribute.sentAt,
  DerivedAttribute.dayShard,
];

/** Whether a write failed only because its condition did not hold. */
function conditionFailed(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

/** An UpdateItem expression under construction: placeholders for names and values. */
class UpdateExpression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly #set: string[] = [];
  readonly #remove: string[] = [];

  /** `#n` for an attribute name. */
  name(attribute: string): string {
    const placeholder = `#n${Object.keys(this.names).length}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** `:v` for a value. */
  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** Sets the attribute; `ifNotExists` keeps a value already there. */
  set(attribute: string, value: unknown, ifNotExists = false): this {
    const name = this.name(attribute);
    const placeholder = this.value(value);
    this.#set.push(
      `${name} = ${ifNotExists ? `if_not_exists(${name}, ${placeholder})` : placeholder}`,
    );
    return this;
  }

  /** Removes the attribute. */
  remove(attribute: string): this {
    this.#remove.push(this.name(attribute));
    return this;
  }

  /** The `UpdateExpression`, `ExpressionAttributeNames` and `ExpressionAttributeValues`. */
  toInput() {
    const clauses = [
      this.#set.length > 0 ? `SET ${this.#set.join(', ')}` : '',
      this.#remove.length > 0 ? `REMOVE ${this.#remove.join(', ')}` : '',
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: marshall(this.values, { removeUndefinedValues: true }),
    };
  }
}

/** Plain values of an item the engine returned, if any. */
function plain(item: Record<string, AttributeValue> | undefined): Record<string, unknown> {
  return item ? unmarshall(item) : {};
}

/** An {@link ArchiveStore} on the DynamoDB tables defined by `table-schema.ts`. */
export function createDynamoArchiveStore({
  client,
  tables,
  deadlineMs,
}: DynamoArchiveStoreOptions): ArchiveStore {
  const timed = <T>(work: Promise<T>) =>
    deadlineMs === undefined ? work : within(deadlineMs, work);

  /**
   * Updates the message's item if `condition` holds, and returns the updated attributes' values
   * before; `undefined` when the condition did not hold.
   */
  const updateMessageIf = async (
    serverMsgID: string,
    update: UpdateExpression,
    condition: string,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tables.messages,
          Key: marshall({ [MESSAGE_KEY.name]: serverMsgID }),
          ...update.toInput(),
          ConditionExpression: condition,
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return plain(Attributes);
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  };

  /** Marks the message revoked, keeping an earlier mark; true if it was not marked before. */
  const markRevoked = async (
    serverMsgID: string,
    revokedBy: unknown,
    revokedAt: unknown,
  ): Promise<boolean> => {
    const update = new UpdateExpression()
      .set(DerivedAttribute.revokedBy, revokedBy, true)
      .set(DerivedAttribute.revokedAt, revokedAt, true);
    // The seq is linked only after its message is stored, so the record is there; the condition
    // keeps a mark from ever creating a record of its own.
    const before = await updateMessageIf(
      serverMsgID,
      update,
      `attribute_exists(${update.name(MESSAGE_KEY.name)})`,
    );
    return before !== undefined && before[DerivedAttribute.revokedBy] === undefined;
  };

  /** Updates the item of the record's seq, expiring with it, and returns what it held before. */
  const updateSeq = async (
    { conversationID, seq, expiresAt }: ArchiveRecord,
    update: UpdateExpression,
  ): Promise<Record<string, unknown>> => {
    if (expiresAt !== undefined) update.set(DerivedAttribute.expiresAt, expiresAt, true);
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: tables.seqs,
        Key: marshall({ conversationID, seq }),
        ...update.toInput(),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return plain(Attributes);
  };

  const store: ArchiveStore = {
    async insertMessage(record) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tables.messages,
            Item: marshall(record, { removeUndefinedValues: true }),
            ...FIRST_WRITE_ONLY,
          }),
        );
        return 'stored';
      } catch (error) {
        if (!conditionFailed(error)) throw error;
      }
      // Stored already (a repeat, or the save-DB callback came first): only fields this callback
      // alone carried are added, and only where the save-DB callback brought none of its own.
      if (record.unknownFields === undefined) return 'duplicate';
      const update = new UpdateExpression().set(
        DerivedAttribute.unknownFields,
        record.unknownFields,
      );
      const condition = `attribute_exists(${update.name(MESSAGE_KEY.name)}) AND attribute_not_exists(${update.name(DerivedAttribute.unknownFields)})`;
      const added = await updateMessageIf(record.serverMsgID, update, condition);
      return added === undefined ? 'duplicate' : 'stored';
    },

    async saveMessage(record, fields) {
      // 1. The message, first: a revoke that sees the seq linked (step 2) must find it stored.
      const update = new UpdateExpression();
      for (const attribute of [...fields, ...DERIVED_MESSAGE_ATTRIBUTES]) {
        if (attribute === MESSAGE_KEY.name) continue;
        const value = record[attribute];
        if (value === undefined) update.remove(attribute);
        else update.set(attribute, value);
      }
      for (const attribute of KEPT_FROM_FIRST) {
        if (record[attribute] !== undefined) update.set(attribute, record[attribute], true);
      }
      // Fields a newer OpenIM adds: this callback's win; without any, an after-send's stay.
      if (record.unknownFields !== undefined) {
        update.set(DerivedAttribute.unknownFields, record.unknownFields);
      }
      // A repeat (same seq) changes nothing; a late after-send never gets here at all.
      const condition = `attribute_not_exists(${update.name(MESSAGE_KEY.name)}) OR ${update.name('seq')} <> ${update.value(record.seq)}`;
      const applied = (await updateMessageIf(record.serverMsgID, update, condition)) !== undefined;
      // 2. Link the seq to the message. The revoke updates this same item, so whichever of the
      // two comes second sees the other's write here.
      const before = await updateSeq(
        record,
        new UpdateExpression().set(MESSAGE_KEY.name, record.serverMsgID),
      );
      // 3. A revoke that came first is applied now.
      const marked =
        before[DerivedAttribute.revokedBy] !== undefined &&
        (await markRevoked(
          record.serverMsgID,
          before[DerivedAttribute.revokedBy],
          before[DerivedAttribute.revokedAt],
        ));
      const linked = before[MESSAGE_KEY.name] === undefined;
      return applied || linked || marked ? 'stored' : 'duplicate';
    },

    async recordRevoke(record) {
      const before = await updateSeq(
        record,
        new UpdateExpression()
          .set(DerivedAttribute.revokedBy, record.revokedBy, true)
          .set(DerivedAttribute.revokedAt, record.revokedAt, true),
      );
      const first = before[DerivedAttribute.revokedBy] === undefined;
      const serverMsgID = before[MESSAGE_KEY.name];
      const marked =
        typeof serverMsgID === 'string' &&
        (await markRevoked(
          serverMsgID,
          first ? record.revokedBy : before[DerivedAttribute.revokedBy],
          first ? record.revokedAt : before[DerivedAttribute.revokedAt],
        ));
      return first || marked ? 'stored' : 'duplicate';
    },
  };
  return {
    insertMessage: (record) => timed(store.insertMessage(record)),
    saveMessage: (record, fields) => timed(store.saveMessage(record, fields)),
    recordRevoke: (record) => timed(store.recordRevoke(record)),
  };
}
