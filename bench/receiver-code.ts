/**
 * Everything the benchmark takes from the receiver's code in `lambda/`, so that restructuring
 * `lambda/` meets the benchmark in this module only. The one other import from `lambda/` is the
 * schema in `required-stack-handler.ts`, which is bundled on its own.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  type AfterSendSingleMsg,
  afterSendSingleMsg,
} from '../lambda/callbacks/after-send-single-msg.ts';

export { FIRST_WRITE_ONLY } from '../lambda/archive-store.ts';
// What the CDK leaves out of the receiver's bundle (infra/receiver-function.ts).
export { DEFAULT_CHAIN_MODULES as RECEIVER_EXTERNAL } from '../lambda/environment-credentials.ts';
export { SUCCESS_BODY } from '../lambda/openim-response.ts';
export { localTableNames } from '../lambda/table-schema.ts';

/** The module the CDK bundles as the function, relative to the repository root. */
export const RECEIVER_ENTRY = 'lambda/handler.ts';

/** The AWS clients' request-signing hash, and the SDK's own that the benchmark compares it with. */
export const SIGNING_HASH = { module: 'lambda/sha256.ts', standIn: 'bench/sdk-sha256.ts' };

/** The item the receiver stores for a request body, built by the receiver's own record code. */
export function storedItemOf(body: object): Record<string, AttributeValue> {
  const record = afterSendSingleMsg.toRecord(body as AfterSendSingleMsg, {
    receivedAt: Date.now(),
  });
  return marshall(record, { removeUndefinedValues: true });
}
