/**
 * A reference for cold start: the libraries the receiver is required to use, wired the usual way,
 * and none of its own features. middy with its HTTP middlewares, the receiver's valibot schema,
 * Powertools Logger and Metrics, and one conditional `PutItem` of the marshalled body. No
 * authentication, secret, fallback, record building, size check, deadlines or OpenIM error shape.
 * Its cold start over the baseline's is what those libraries cost before the receiver adds
 * anything; `bench/bundles.ts` bundles it exactly like the receiver.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as v from 'valibot';
import { COMMON_MESSAGE_ENTRIES, Id } from '../lambda/message-fields.ts';

/** The single-chat callback's schema, built from the receiver's field schemas alone. */
const SCHEMA = v.looseObject({ ...COMMON_MESSAGE_ENTRIES, recvID: Id });
const client = new DynamoDBClient();
const tableName = process.env.TABLE_NAME;
const logger = new Logger({ serviceName: 'required-stack' });
const metrics = new Metrics({ namespace: 'RequiredStack', serviceName: 'required-stack' });

/** Validates the body, puts it unless its `serverMsgID` is stored, and counts it. */
async function store(event: { body: unknown }): Promise<APIGatewayProxyStructuredResultV2> {
  const message = v.parse(SCHEMA, event.body);
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: marshall(message, { removeUndefinedValues: true }),
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'serverMsgID' },
    }),
  );
  metrics.addMetric('MessagesStored', MetricUnit.Count, 1);
  logger.debug('Message stored');
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}',
  };
}

/** The handler: the required middlewares around `store`. */
export const handler = middy<{ body: unknown }, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser())
  .use(httpErrorHandler({ logger: false }))
  .handler(store);
