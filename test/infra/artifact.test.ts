/**
 * The deployed artifact, proven offline: synthesize with real esbuild bundling, take the function's
 * bundle out of the cloud assembly, and run it as Lambda would (a fresh Node 24 process whose
 * environment is the template's) against dynalite holding the table the template defines. Every
 * synthesized route gets a real OpenIM v3.8 request, with the Basic credentials OpenIM sends.
 *
 * DynamoDB is the real engine (dynalite), watched through a counting proxy. Secrets Manager and SQS
 * have no local engine, so they are small stubs of their JSON wire protocol on 127.0.0.1, reached
 * through the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables: the bundled SDK still builds,
 * signs and parses real requests, and the stubs record what it asked. The metrics the bundle
 * prints (EMF) are checked against the ones the template's alarms and dashboard read.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_SEND_SINGLE_MSG } from '../../lambda/callbacks/after-send-single-msg.ts';
import { CALLBACKS } from '../../lambda/callbacks.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lambda/receiver-metrics.ts';
import { type RouteKey, toHttpApiEvent } from '../../local/http-api-event.ts';
import { type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import {
  basicAuthorization,
  COMMANDS,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  mainRequestPath,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { archiveTables, only, type Resource } from '../support/template.ts';
import {
  awsError,
  type Call,
  callOf,
  createTemplateTables,
  emittedMetrics,
  isRead,
  listen,
  type Recorder,
  readBody,
  runBundle,
  type StubAnswer,
  startJsonStub,
  templateEnv,
} from './artifact-harness.ts';
import { metricsRead } from './dashboard-body.ts';
import { removeOutdirs, type Synthesized, synthesize } from './synth-app.ts';

/** A real v3.8 body, from Go's encoder, as in `openim-webhook-client.md` (before the newline). */
const V38_BODY =
  '{"sendID":"user_a","callbackCommand":"callbackAfterSendSingleMsgCommand","serverMsgID":"0b2676769e9eceb4983cb12966586f48","clientMsgID":"f4ff79f97195113e3048bbfedb5748b6","operationID":"37a60d50-4799-4de2-bfc9-d9d0ccf2e8b5","senderPlatformID":5,"senderNickname":"Alice","sessionType":1,"msgFrom":100,"contentType":101,"status":1,"sendTime":1746797848316,"createTime":1746797847589,"content":"{\\"content\\":\\"hi\\"}","seq":0,"atUserList":null,"faceURL":"","ex":"","recvID":"user_b"}';
const V38_SERVER_MSG_ID = '0b2676769e9eceb4983cb12966586f48';

/** The exact success body OpenIM expects. */
const SUCCESS = '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}';

/** What the stack's secret would hold: the template only generates it, so the test picks one. */
const CREDENTIALS = { username: 'openim', password: 'Zk4q9VbT2mXw7LpR0sNc8HdJ3yFg6KeA1uQo5WiE' };

/** The ARN the test gives the template's secret, as CloudFormation would from `Ref`. */
const SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:WebhookSecret-AbCdEf';

/** `Authorization: Basic …` as Go's net/http builds it from `https://user:password@host`. */
function basic({ username, password }: { username: string; password: string }): string {
  return basicAuthorization(username, password);
}

/** The HTTP API v2 event OpenIM's request produces on a route, as API Gateway would build it. */
function openImEvent(
  routeKey: RouteKey,
  serverMsgID: string,
  authorization: string | undefined,
): APIGatewayProxyEventV2 {
  const path = routeKey.slice(routeKey.indexOf(' ') + 1);
  // OpenIM 3.5 and later post to <url>/<command>; 3.0 to 3.4 post to <url>?command=<command>.
  const url = path === '/' ? `/?command=${AFTER_SEND_SINGLE_MSG}` : path;
  return postEvent(
    routeKey,
    url,
    `${V38_BODY.replace(V38_SERVER_MSG_ID, serverMsgID)}\n`,
    authorization,
  );
}

/** The event of a POST of `text` to `url` that API Gateway matched to `routeKey`. */
function postEvent(
  routeKey: RouteKey,
  url: string,
  text: string,
  authorization: string | undefined,
): APIGatewayProxyEventV2 {
  const body = Buffer.from(text, 'utf8');
  return toHttpApiEvent(
    {
      method: 'POST',
      url,
      headers: {
        host: 'abc123.execute-api.eu-west-1.amazonaws.com',
        'user-agent': 'Go-http-client/1.1',
        'content-length': String(body.length),
        ...(authorization === undefined ? {} : { authorization }),
        'content-type': 'application/json; charset=utf-8',
        operationid: '37a60d50-4799-4de2-bfc9-d9d0ccf2e8b5',
        'accept-encoding': 'gzip',
      },
      body,
      sourceIp: '203.0.113.10',
    },
    routeKey,
  );
}

/** A proxy that can be told to fail instead of forwarding. */
interface CountingProxy extends Recorder {
  /** When set, every request gets this answer instead of reaching the engine. */
  failWith: StubAnswer | undefined;
}

/** Secrets Manager's `GetSecretValue`: the stack's secret at AWSCURRENT, no AWSPREVIOUS yet. */
function secretsManager({ target, input }: Call): StubAnswer {
  if (target !== 'secretsmanager.GetSecretValue') {
    return awsError('InvalidRequestException', `the stub does not serve ${target}`);
  }
  const stage = input.VersionStage ?? 'AWSCURRENT';
  if (input.SecretId !== SECRET_ARN || stage !== 'AWSCURRENT' || input.VersionId !== undefined) {
    return awsError(
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    );
  }
  return {
    status: 200,
    body: {
      ARN: SECRET_ARN,
      Name: 'WebhookSecret-AbCdEf',
      SecretString: JSON.stringify(CREDENTIALS),
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_746_797_000,
    },
  };
}

/** SQS's `SendMessage`, answered as SQS does (the SDK checks the body's MD5). */
function sqs({ target, input }: Call): StubAnswer {
  if (target !== 'AmazonSQS.SendMessage') {
    return awsError('InvalidAction', `the stub does not serve ${target}`);
  }
  const md5 = createHash('md5')
    .update(String(input.MessageBody ?? ''))
    .digest('hex');
  return { status: 200, body: { MessageId: 'stub-1', MD5OfMessageBody: md5 } };
}

/** A proxy in front of the local engine that counts what the function asks DynamoDB. */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const calls: Call[] = [];
  const { hostname, port } = new URL(target);
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    calls.push(callOf(request.headers, body));
    if (proxy.failWith) {
      const { status, body: answer, headers = {} } = proxy.failWith;
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers });
      response.end(JSON.stringify(answer));
      return;
    }
    const upstream = httpRequest(
      { hostname, port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    upstream.end(body);
  });
  const proxy: CountingProxy = { ...(await listen(server, calls)), failWith: undefined };
  return proxy;
}

const SLOW = 120_000;

describe('the synthesized artifact', () => {
  let synthesized: Synthesized;
  let engine: LocalEngine;
  let dynamo: CountingProxy;
  let secrets: Recorder;
  let queue: Recorder;
  /** When true, the SQS stub refuses every message, as a queue that is down would. */
  let queueDown = false;
  let resources: Record<string, Resource>;
  let routeKeys: RouteKey[];
  const tableName = 'messages-from-template';
  const seqTableName = 'seqs-from-template';

  /** The URL the test gives the template's queue, as CloudFormation would from `Ref`. */
  const queueUrl = () => `${queue.endpoint}/000000000000/fallback`;

  /** The function's environment from the template, with each reference resolved locally. */
  function functionEnv(fn: Resource): Record<string, string> {
    const tables = {
      messages: archiveTables(resources).messages[0],
      seqs: archiveTables(resources).seqs[0],
    };
    const [secretId] = only(resources, 'AWS::SecretsManager::Secret');
    const [queueId] = only(resources, 'AWS::SQS::Queue');
    const refs: Record<string, string> = {
      [tables.messages]: tableName,
      [tables.seqs]: seqTableName,
      [secretId]: SECRET_ARN,
      [queueId]: queueUrl(),
    };
    return templateEnv(fn, refs, {
      // Lambda always sets it; the function takes it as "in Lambda, credentials required".
      AWS_LAMBDA_FUNCTION_NAME: 'openim-callback-receiver',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_SQS: queue.endpoint,
    });
  }

  /**
   * Runs the bundle the template deploys, in a fresh process, once per event in order, with the
   * function's environment as `adjust` leaves it.
   */
  async function runReceiver(
    events: APIGatewayProxyEventV2[],
    adjust: (env: Record<string, string>) => Record<string, string> = (env) => env,
  ) {
    const [, fn] = only(resources, 'AWS::Lambda::Function');
    return runBundle(synthesized, fn, events, adjust(functionEnv(fn)));
  }

  /** Runs the deployed bundle over `events`, which it must all answer. */
  async function invoke(events: APIGatewayProxyEventV2[]) {
    const run = await runReceiver(events);
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    const answers: APIGatewayProxyStructuredResultV2[] = JSON.parse(
      readFileSync(run.results, 'utf8'),
    );
    expect(answers).toHaveLength(events.length);
    return { ...run, answers };
  }

  /** The stored item for a message, if any. */
  async function stored(serverMsgID: string) {
    const { Item } = await engine.client.send(
      new GetItemCommand({ TableName: tableName, Key: { serverMsgID: { S: serverMsgID } } }),
    );
    return Item === undefined ? undefined : unmarshall(Item);
  }

  /** The names of the metrics the template's metric filters count. */
  function metricFilterNames(): string[] {
    return Object.values(resources)
      .filter(({ Type }) => Type === 'AWS::Logs::MetricFilter')
      .flatMap(({ Properties }) =>
        (Properties.MetricTransformations as { MetricName: string }[]).map((t) => t.MetricName),
      );
  }

  beforeAll(async () => {
    synthesized = synthesize({}, { bundle: true });
    engine = await startLocalEngine();
    [dynamo, secrets, queue] = await Promise.all([
      startCountingProxy(engine.endpoint),
      startJsonStub(secretsManager),
      startJsonStub((call) =>
        queueDown ? awsError('AWS.SimpleQueueService.NonExistentQueue', 'down') : sqs(call),
      ),
    ]);
    const template = synthesized.assembly.getStackByName(synthesized.stack.stackName).template;
    resources = template.Resources;
    routeKeys = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey as RouteKey);

    // The tables the template defines, in dynalite
    await createTemplateTables(engine, resources, { messages: tableName, seqs: seqTableName });
  }, SLOW);

  afterAll(async () => {
    await Promise.all([dynamo?.close(), secrets?.close(), queue?.close()]);
    await engine?.close();
    await removeOutdirs();
  });

  it(
    "stores a real OpenIM request with the stack's credentials on the base URL, also behind a base path or stage",
    async () => {
      // GIVEN: the same OpenIM request to the base URL, as API Gateway passes it without and with
      // a custom domain's base path mapping or a named stage in front (raw paths /v1, /prod)
      const routes = ['POST /', 'POST /'] as RouteKey[];
      const serverMsgIDs = ['b0000000000000000000000000000001', 'b0000000000000000000000000000002'];
      const events = [
        {
          ...openImEvent(routes[0] as RouteKey, serverMsgIDs[0] as string, basic(CREDENTIALS)),
          rawPath: '/v1',
        },
        {
          ...openImEvent(routes[1] as RouteKey, serverMsgIDs[1] as string, basic(CREDENTIALS)),
          rawPath: '/prod/',
        },
      ];

      // WHEN
      const { answers } = await invoke(events);

      // THEN: both stored, as OpenIM sent them
      for (const answer of answers) expect(answer.body).toBe(SUCCESS);
      for (const serverMsgID of serverMsgIDs) expect(await stored(serverMsgID)).toBeDefined();
    },
    SLOW,
  );

  it(
    'archives every callback through its own route: group, save-DB with the real seq, revoke',
    async () => {
      // GIVEN: a group message and a one-to-one message, each with its after-send, its save-DB
      // callback (seq 7 and 8) and, for the group message, a revoke, as OpenIM main posts them
      const group = sampleGroupMessage(51);
      const single = sampleMessage(52);
      const route = (command: string) => `POST /${command}` as RouteKey;
      const auth = basic(CREDENTIALS);
      const events = [
        postEvent(
          route(COMMANDS.group),
          mainRequestPath(COMMANDS.group, group),
          encodeGroupBody(group, 'main'),
          auth,
        ),
        postEvent(
          route(COMMANDS.saveDB),
          mainRequestPath(COMMANDS.saveDB, group),
          encodeSaveDbBody(group, 7),
          auth,
        ),
        postEvent(
          route(COMMANDS.revoke),
          `/${COMMANDS.revoke}`,
          encodeRevokeBody({ conversationID: `sg_${group.groupID}`, seq: 7, userID: group.sendID }),
          auth,
        ),
        postEvent(
          route(COMMANDS.saveDB),
          mainRequestPath(COMMANDS.saveDB, single),
          encodeSaveDbBody(single, 8),
          auth,
        ),
      ];

      // WHEN
      const { answers } = await invoke(events);

      // THEN: all answered success; the group message is in its conversation with seq 7 and
      // revoked, and the one-to-one message, known only from save-DB, is stored whole
      for (const answer of answers) expect(answer.body).toBe(SUCCESS);
      expect(await stored(group.serverMsgID)).toMatchObject({
        groupID: group.groupID,
        conversationID: `sg_${group.groupID}`,
        seq: 7,
        revokedBy: group.sendID,
      });
      expect(await stored(group.serverMsgID)).not.toHaveProperty('recvID');
      expect(await stored(single.serverMsgID)).toMatchObject({
        recvID: single.recvID,
        seq: 8,
        content: single.content,
      });
    },
    SLOW,
  );

  it(
    "stores a real OpenIM request with the stack's credentials on every synthesized route",
    async () => {
      // GIVEN: one OpenIM request per one-to-one route the template serves, each a different
      // message (the other callbacks' routes have their own test above)
      const singleRoutes = routeKeys.filter(
        (key) => key === 'POST /' || key.endsWith(AFTER_SEND_SINGLE_MSG),
      );
      const serverMsgIDs = singleRoutes.map((_, i) => `${V38_SERVER_MSG_ID.slice(0, -2)}${i}0`);
      const events = singleRoutes.map((key, i) =>
        openImEvent(key, serverMsgIDs[i] as string, basic(CREDENTIALS)),
      );
      dynamo.calls.length = 0;
      secrets.calls.length = 0;
      queue.calls.length = 0;

      // WHEN
      const { answers, stdout } = await invoke(events);

      // THEN: OpenIM's success answer on every route
      expect(routeKeys.sort()).toEqual(
        ['POST /', ...CALLBACKS.map(({ command }) => `POST /${command}`)].sort(),
      );
      for (const answer of answers) {
        expect(answer.statusCode).toBe(200);
        expect(answer.body).toBe(SUCCESS);
      }

      // THEN: each message is in the table with the fields OpenIM sent
      for (const serverMsgID of serverMsgIDs) {
        const sent = JSON.parse(V38_BODY.replace(V38_SERVER_MSG_ID, serverMsgID));
        expect(await stored(serverMsgID), serverMsgID).toMatchObject({
          ...sent,
          conversationID: 'si_user_a_user_b',
          sentAt: sent.sendTime,
          receivedAt: expect.any(Number),
        });
      }

      // THEN: the secret was read by the ARN from the template, each version once (cached)
      const reads = secrets.calls.map((c) => `${c.input.SecretId} ${c.input.VersionStage ?? ''}`);
      expect(reads).toContain(`${SECRET_ARN} `);
      expect(new Set(reads).size).toBe(reads.length);

      // THEN: one PutItem per message, and nothing went to the fallback queue
      expect(dynamo.calls.map((c) => c.target)).toEqual(
        events.map(() => 'DynamoDB_20120810.PutItem'),
      );
      expect(queue.calls).toEqual([]);

      // THEN: the function reported (stores are counted as a metric, not logged at INFO), but
      // never printed the message content or the password
      expect(stdout).toContain('"MessagesStored"');
      expect(stdout).not.toContain('\\"content\\":\\"hi\\"');
      expect(stdout).not.toContain('{"content":"hi"}');
      expect(stdout).not.toContain(CREDENTIALS.password);
    },
    SLOW,
  );

  it(
    'refuses to start in Lambda without its credential source, and stores nothing',
    async () => {
      // GIVEN the function's environment, hand-edited to lose WEBHOOK_SECRET_ARN
      const serverMsgID = 'c0000000000000000000000000000001';
      const event = openImEvent(`POST /${AFTER_SEND_SINGLE_MSG}`, serverMsgID, undefined);
      dynamo.calls.length = 0;

      // WHEN Lambda loads the bundle (its INIT) and gives it a request
      const run = await runReceiver([event], ({ WEBHOOK_SECRET_ARN: _removed, ...env }) => env);

      // THEN the cold start fails loudly, naming the fix, and nothing reached the table
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('WEBHOOK_SECRET_ARN is not set');
      expect(run.stderr).toContain('npx cdk deploy');
      expect(existsSync(run.results)).toBe(false);
      expect(dynamo.calls).toEqual([]);
      expect(await stored(serverMsgID)).toBeUndefined();
    },
    SLOW,
  );

  it(
    'refuses a request without credentials or with a wrong password: 401, nothing stored',
    async () => {
      // GIVEN: the same real request, once with no Authorization header, once with a wrong one
      const route = `POST /${AFTER_SEND_SINGLE_MSG}` as RouteKey;
      const serverMsgIDs = ['f0000000000000000000000000000001', 'f0000000000000000000000000000002'];
      const events = [
        openImEvent(route, serverMsgIDs[0] as string, undefined),
        openImEvent(route, serverMsgIDs[1] as string, basic({ ...CREDENTIALS, password: 'nope' })),
      ];
      dynamo.calls.length = 0;
      secrets.calls.length = 0;
      queue.calls.length = 0;

      // WHEN
      const { answers, stdout } = await invoke(events);

      // THEN: OpenIM-shaped 401s
      for (const answer of answers) {
        expect(answer.statusCode).toBe(401);
        const body = JSON.parse(String(answer.body));
        expect(Object.keys(body)).toEqual([
          'actionCode',
          'errCode',
          'errMsg',
          'errDlt',
          'nextCode',
        ]);
        expect(body).toMatchObject({ actionCode: 1, errCode: 401, nextCode: 0 });
        expect(body.errMsg).toEqual(expect.any(String));
        expect(String(answer.body)).not.toContain(CREDENTIALS.password);
      }

      // THEN: the wrong password was also tried against AWSPREVIOUS, which does not exist yet
      expect(secrets.calls.map((c) => c.input.VersionStage)).toContain('AWSPREVIOUS');

      // THEN: no storage call at all, and nothing stored or queued
      expect(dynamo.calls).toEqual([]);
      expect(queue.calls).toEqual([]);
      for (const serverMsgID of serverMsgIDs) expect(await stored(serverMsgID)).toBeUndefined();
      expect(stdout).not.toContain(CREDENTIALS.password);
      expect(stdout).not.toContain('nope');
    },
    SLOW,
  );

  it(
    'keeps the whole record in the fallback queue and answers 503 when the table fails',
    async () => {
      // GIVEN: DynamoDB answering every call with a server error
      const serverMsgID = 'e0000000000000000000000000000001';
      const event = openImEvent(`POST /${AFTER_SEND_SINGLE_MSG}`, serverMsgID, basic(CREDENTIALS));
      dynamo.calls.length = 0;
      queue.calls.length = 0;
      dynamo.failWith = {
        status: 500,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'down' },
      };

      // WHEN
      let answers: APIGatewayProxyStructuredResultV2[];
      try {
        ({ answers } = await invoke([event]));
      } finally {
        dynamo.failWith = undefined;
      }

      // THEN: OpenIM hears that it was not stored
      const [answer] = answers;
      expect(answer?.statusCode).toBe(503);
      expect(JSON.parse(String(answer?.body))).toMatchObject({ actionCode: 1, errCode: 503 });

      // THEN: the table was tried (with retries), then the record went to the template's queue
      expect(dynamo.calls.length).toBeGreaterThan(1);
      expect(new Set(dynamo.calls.map((c) => c.target))).toEqual(
        new Set(['DynamoDB_20120810.PutItem']),
      );
      expect(queue.calls).toHaveLength(1);
      const [send] = queue.calls;
      expect(send?.input.QueueUrl).toBe(queueUrl());
      const sent = JSON.parse(V38_BODY.replace(V38_SERVER_MSG_ID, serverMsgID));
      expect(JSON.parse(String(send?.input.MessageBody))).toMatchObject({
        callback: AFTER_SEND_SINGLE_MSG,
        record: { ...sent, conversationID: 'si_user_a_user_b', sentAt: sent.sendTime },
      });
      expect(await stored(serverMsgID)).toBeUndefined();
    },
    SLOW,
  );

  it(
    'emits every metric the alarms and dashboard read, with the dimensions they read',
    async () => {
      // GIVEN: one request for each outcome: stored, repeated, refused, kept, lost
      const route = `POST /${AFTER_SEND_SINGLE_MSG}` as RouteKey;
      const id = (n: number) => `d${String(n).padStart(31, '0')}`;
      const ok = basic(CREDENTIALS);
      const runs: Awaited<ReturnType<typeof invoke>>[] = [];

      // WHEN
      const group = sampleGroupMessage(61);
      const on = (command: string) => `POST /${command}` as RouteKey;
      runs.push(
        await invoke([
          openImEvent(route, id(1), ok),
          openImEvent(route, id(1), ok),
          openImEvent(route, id(2), undefined),
          postEvent(on(COMMANDS.group), `/${COMMANDS.group}`, encodeGroupBody(group, 'main'), ok),
          postEvent(on(COMMANDS.saveDB), `/${COMMANDS.saveDB}`, encodeSaveDbBody(group, 3), ok),
          postEvent(
            on(COMMANDS.revoke),
            `/${COMMANDS.revoke}`,
            encodeRevokeBody({ conversationID: `sg_${group.groupID}`, seq: 3, userID: 'u' }),
            ok,
          ),
          // Another message of the group claiming seq 3: a seq conflict
          postEvent(
            on(COMMANDS.saveDB),
            `/${COMMANDS.saveDB}`,
            encodeSaveDbBody(sampleGroupMessage(64, { groupID: group.groupID }), 3),
            ok,
          ),
        ]),
      );
      dynamo.failWith = {
        status: 500,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'down' },
      };
      try {
        runs.push(await invoke([openImEvent(route, id(3), ok)]));
        queueDown = true;
        runs.push(await invoke([openImEvent(route, id(4), ok)]));
      } finally {
        dynamo.failWith = undefined;
        queueDown = false;
      }
      const emitted = runs.flatMap((run) => emittedMetrics(run.stdout));
      const read = metricsRead(resources, METRICS_NAMESPACE).filter(
        // Counted by a metric filter on the access logs, not by the function
        ({ metricName }) => !metricFilterNames().includes(metricName),
      );

      // THEN: the outcomes were what each request was meant to cause
      expect(runs.flatMap((run) => run.answers.map((answer) => answer.statusCode))).toEqual([
        200, 200, 401, 200, 200, 200, 200, 503, 503,
      ]);

      // THEN: every receiver metric is read somewhere, and each one read is one emitted
      expect(new Set(read.map(({ metricName }) => metricName))).toEqual(
        new Set(Object.values(MetricName)),
      );
      for (const metric of read) {
        expect(
          emitted.some((candidate) => isRead(metric, candidate)),
          `${JSON.stringify(metric)} among ${JSON.stringify(emitted)}`,
        ).toBe(true);
      }
    },
    SLOW,
  );
});
