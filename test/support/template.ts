/** Reading a synthesized CloudFormation template's resources, for the infra tests. */
import { expect } from 'vitest';
import {
  createTableInput,
  MESSAGES_TABLE,
  SEQS_TABLE,
  type TableDefinition,
} from '../../lambda/table-schema.ts';

/** A CloudFormation resource as it appears in the template. */
export interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** A template's resources by logical ID. */
export type Resources = Readonly<Record<string, Resource>>;

/** The one resource of `type`, with its logical ID; fails the test if there is not exactly one. */
export function only(resources: Resources, type: string): [string, Resource] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  expect(found, `resources of type ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The messages and seqs tables, told apart by their key schema. */
export function archiveTables(resources: Resources): {
  messages: [string, Resource];
  seqs: [string, Resource];
} {
  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  expect(tables, 'DynamoDB tables').toHaveLength(2);
  const keyedAs = (definition: TableDefinition): [string, Resource] => {
    const key = JSON.stringify(createTableInput(definition, 'x').KeySchema);
    const table = tables.find(([, t]) => JSON.stringify(t.Properties.KeySchema) === key);
    if (!table) throw new Error(`no table keyed ${key}`);
    return table;
  };
  return { messages: keyedAs(MESSAGES_TABLE), seqs: keyedAs(SEQS_TABLE) };
}
