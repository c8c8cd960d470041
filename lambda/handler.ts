/**
 * The Lambda entry point: reads its settings once, builds the AWS clients once at module scope,
 * and exports the handler. Everything else lives in `app.ts`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHandler } from './app.ts';
import { createDynamoMessageStore } from './message-store.ts';

/** Reads a required environment variable, failing the cold start with the fix if it is missing. */
function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the stack (or npm start) must set it`);
  return value;
}

/** Reads an optional whole number of days, refusing anything else at cold start. */
function optionalDays(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`${name} must be a whole number of days of at least 1, not "${value}"`);
  }
  return days;
}

const tableName = requiredEnv('TABLE_NAME');
const ttlDays = optionalDays('TTL_DAYS');

/** The deployed handler. The DynamoDB endpoint follows AWS_ENDPOINT_URL_DYNAMODB when it is set. */
export const handler = createHandler({
  store: createDynamoMessageStore({ client: new DynamoDBClient(), tableName }),
  logger: new Logger({ serviceName: 'openim-callback-receiver' }),
  ttlDays,
});
