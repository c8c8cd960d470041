/**
 * The deployed artifact, proven offline: synthesize with real esbuild bundling, take the function's
 * bundle out of the cloud assembly, and run it as Lambda would (a fresh Node 24 process whose
 * environment is the template's) against dynalite holding the table the template defines. Every
 * synthesized route gets a real OpenIM v3.8 request.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  GetItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AssetManifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_SEND_SINGLE_MSG } from '../../lambda/callback-schema.ts';
import { type RouteKey, toHttpApiEvent } from '../../local/http-api-event.ts';
import { LOCAL_AWS, type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import { removeOutdirs, type Synthesized, synthesize, tempDir } from './synth-app.ts';

/** A real v3.8 body, from Go's encoder, as in `openim-webhook-client.md` (before the newline). */
const V38_BODY =
  '{"sendID":"user_a","callbackCommand":"callbackAfterSendSingleMsgCommand","serverMsgID":"0b2676769e9eceb4983cb12966586f48","clientMsgID":"f4ff79f97195113e3048bbfedb5748b6","operationID":"37a60d50-4799-4de2-bfc9-d9d0ccf2e8b5","senderPlatformID":5,"senderNickname":"Alice","sessionType":1,"msgFrom":100,"contentType":101,"status":1,"sendTime":1746797848316,"createTime":1746797847589,"content":"{\\"content\\":\\"hi\\"}","seq":0,"atUserList":null,"faceURL":"","ex":"","recvID":"user_b"}';
const V38_SERVER_MSG_ID = '0b2676769e9eceb4983cb12966586f48';

/** The exact success body OpenIM expects. */
const SUCCESS = '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}';

/**
 * Runs in the child: imports the bundle (so it reads its environment at load, as in Lambda),
 * invokes `handler` once per event in order, and writes the results to a file, since the
 * function's own logs go to stdout.
 */
const INVOKER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [bundleUrl, handlerName, invocationsFile, resultsFile] = process.argv.slice(1);
const { events, context } = JSON.parse(readFileSync(invocationsFile, 'utf8'));
const module = await import(bundleUrl);
const results = [];
for (const event of events) {
  results.push(await module[handlerName](event, {
    ...context,
    awsRequestId: event.requestContext.requestId,
    getRemainingTimeInMillis: () => 3000,
    done() {}, fail() {}, succeed() {},
  }));
}
writeFileSync(resultsFile, JSON.stringify(results));
process.exit(0);
`;

/** A CloudFormation resource as it appears in the template. */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/** The one resource of a type in the template, with its logical ID. */
function only(resources: Record<string, Resource>, type: string): [string, Resource] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
}

/** Runs `node <args>` with exactly `env`, and resolves with its exit code and output. */
function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The HTTP API v2 event OpenIM's request produces on a route, as API Gateway would build it. */
function openImEvent(routeKey: RouteKey, serverMsgID: string): APIGatewayProxyEventV2 {
  const path = routeKey.slice(routeKey.indexOf(' ') + 1);
  // OpenIM 3.5 and later post to <url>/<command>; 3.0 to 3.4 post to <url>?command=<command>.
  const url = path === '/' ? `/?command=${AFTER_SEND_SINGLE_MSG}` : path;
  const body = Buffer.from(`${V38_BODY.replace(V38_SERVER_MSG_ID, serverMsgID)}\n`, 'utf8');
  return toHttpApiEvent(
    {
      method: 'POST',
      url,
      headers: {
        host: 'abc123.execute-api.eu-west-1.amazonaws.com',
        'user-agent': 'Go-http-client/1.1',
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        operationid: '37a60d50-4799-4de2-bfc9-d9d0ccf2e8b5',
        'accept-encoding': 'gzip',
      },
      body,
      sourceIp: '203.0.113.10',
    },
    routeKey,
  );
}

const SLOW = 120_000;

describe('the synthesized artifact', () => {
  let synthesized: Synthesized;
  let engine: LocalEngine;
  let resources: Record<string, Resource>;

  beforeAll(async () => {
    synthesized = synthesize({}, { bundle: true });
    engine = await startLocalEngine();
    const template = synthesized.assembly.getStackByName(synthesized.stack.stackName).template;
    resources = template.Resources;
  }, SLOW);

  afterAll(async () => {
    await engine?.close();
    await removeOutdirs();
  });

  it(
    'stores a real OpenIM request on every synthesized route',
    async () => {
      // GIVEN: the bundle the template deploys
      const { assembly, stack } = synthesized;
      const [, fn] = only(resources, 'AWS::Lambda::Function');
      const { S3Key } = fn.Properties.Code as { S3Key: string };
      const hash = S3Key.replace(/\.zip$/, '');
      const manifestArtifact = assembly
        .getStackByName(stack.stackName)
        .dependencies.find(AssetManifestArtifact.isAssetManifestArtifact);
      const manifest: AssetManifest = JSON.parse(
        readFileSync(manifestArtifact?.file ?? '', 'utf8'),
      );
      const asset = manifest.files?.[hash];
      const [handlerFile, handlerName] = (fn.Properties.Handler as string).split('.');
      const bundle = join(assembly.directory, asset?.source.path ?? '', `${handlerFile}.mjs`);
      expect(asset?.source.packaging).toBe('zip');
      expect(existsSync(bundle), bundle).toBe(true);

      // GIVEN: the table the template defines, in dynalite
      const [tableId, table] = only(resources, 'AWS::DynamoDB::Table');
      const tableName = 'messages-from-template';
      const { BillingMode, KeySchema, AttributeDefinitions, GlobalSecondaryIndexes } =
        table.Properties as unknown as CreateTableCommandInput;
      await engine.client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode,
          KeySchema,
          AttributeDefinitions,
          GlobalSecondaryIndexes,
        }),
      );
      await waitUntilTableExists(
        { client: engine.client, maxWaitTime: 30 },
        { TableName: tableName },
      );

      // GIVEN: the function's environment from the template, pointed at dynalite
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      const env: Record<string, string> = {
        AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
        AWS_REGION: LOCAL_AWS.region,
        AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      };
      for (const [name, value] of Object.entries(variables)) {
        if (typeof value === 'string') env[name] = value;
        else if (JSON.stringify(value) === JSON.stringify({ Ref: tableId })) env[name] = tableName;
        else throw new Error(`${name} is ${JSON.stringify(value)}, which this test cannot resolve`);
      }

      // GIVEN: one OpenIM request per route the template serves, each a different message
      const routeKeys = Object.values(resources)
        .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
        .map((r) => r.Properties.RouteKey as RouteKey);
      const serverMsgIDs = routeKeys.map((_, i) => `${V38_SERVER_MSG_ID.slice(0, -2)}${i}0`);
      const events = routeKeys.map((key, i) => openImEvent(key, serverMsgIDs[i] as string));
      const workDir = tempDir('openim-artifact-');
      const invocations = join(workDir, 'invocations.json');
      const results = join(workDir, 'results.json');
      writeFileSync(
        invocations,
        JSON.stringify({
          events,
          context: {
            callbackWaitsForEmptyEventLoop: true,
            functionName: 'openim-callback-receiver',
            functionVersion: '$LATEST',
            invokedFunctionArn:
              'arn:aws:lambda:local:000000000000:function:openim-callback-receiver',
            memoryLimitInMB: String(fn.Properties.MemorySize),
            logGroupName: '/aws/lambda/openim-callback-receiver',
            logStreamName: 'local',
          },
        }),
      );

      // WHEN
      const run = await runNode(
        [
          '--input-type=module',
          '-e',
          INVOKER,
          pathToFileURL(bundle).href,
          handlerName ?? '',
          invocations,
          results,
        ],
        env,
      );

      // THEN: OpenIM's success answer on every route
      expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
      expect(routeKeys.sort()).toEqual(['POST /', `POST /${AFTER_SEND_SINGLE_MSG}`]);
      const answers: APIGatewayProxyStructuredResultV2[] = JSON.parse(
        readFileSync(results, 'utf8'),
      );
      expect(answers).toHaveLength(events.length);
      for (const answer of answers) {
        expect(answer.statusCode).toBe(200);
        expect(answer.body).toBe(SUCCESS);
      }

      // THEN: each message is in the table with the fields OpenIM sent
      for (const serverMsgID of serverMsgIDs) {
        const { Item } = await engine.client.send(
          new GetItemCommand({ TableName: tableName, Key: { serverMsgID: { S: serverMsgID } } }),
        );
        expect(Item, serverMsgID).toBeDefined();
        const sent = JSON.parse(V38_BODY.replace(V38_SERVER_MSG_ID, serverMsgID));
        expect(unmarshall(Item ?? {})).toMatchObject({
          ...sent,
          conversationID: 'si_user_a_user_b',
          sentAt: sent.sendTime,
          receivedAt: expect.any(Number),
        });
      }

      // THEN: the function logged, but never the message content
      expect(run.stdout).toContain('Message stored');
      expect(run.stdout).not.toContain('\\"content\\":\\"hi\\"');
      expect(run.stdout).not.toContain('{"content":"hi"}');
    },
    SLOW,
  );
});
