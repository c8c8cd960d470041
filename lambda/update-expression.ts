/**
 * An UpdateItem expression under construction: placeholders for every attribute name and value,
 * so that OpenIM's field names (any of which may be a DynamoDB reserved word) and any values go in
 * safely, and a condition can use the same placeholders.
 */
import { marshall } from '@aws-sdk/util-dynamodb';

/** SET, REMOVE and ADD clauses, with their placeholders. */
export class UpdateExpression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly #set: string[] = [];
  readonly #remove: string[] = [];
  readonly #add: string[] = [];

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

  /** Adds the strings to the attribute's string set (made if missing). */
  addToSet(attribute: string, strings: readonly string[]): this {
    this.#add.push(`${this.name(attribute)} ${this.value(new Set(strings))}`);
    return this;
  }

  /** The `UpdateExpression`, `ExpressionAttributeNames` and `ExpressionAttributeValues`. */
  toInput() {
    const clauses = [
      this.#set.length > 0 ? `SET ${this.#set.join(', ')}` : '',
      this.#remove.length > 0 ? `REMOVE ${this.#remove.join(', ')}` : '',
      this.#add.length > 0 ? `ADD ${this.#add.join(', ')}` : '',
    ].filter(Boolean);
    const hasValues = Object.keys(this.values).length > 0;
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: this.names,
      ...(hasValues
        ? { ExpressionAttributeValues: marshall(this.values, { removeUndefinedValues: true }) }
        : {}),
    };
  }
}
