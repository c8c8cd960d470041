import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lambda/receiver-metrics.ts';
import { staticCredentials } from '../../lambda/webhook-auth.ts';
import {
  basicAuthorization,
  encodeBody,
  encodeGroupBody,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import {
  post,
  quietLogger,
  startTestReceiver,
  type TestReceiver,
} from '../support/test-receiver.ts';

const PATH = '/callbackAfterSendSingleMsgCommand';
const AUTH = {
  'content-type': 'application/json; charset=utf-8',
  authorization: basicAuthorization('openim', 'pw'),
};

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

/** Runs `act` and returns every line the process printed meanwhile, as text. */
async function printedText(act: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

/** Runs `act` and returns every line the process printed meanwhile, parsed where it is JSON. */
async function printed(act: () => Promise<void>): Promise<Record<string, unknown>[]> {
  return (await printedText(act)).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Sum of each metric's values across EMF blobs, keyed `name` or `name{reason}`. */
function metricTotals(lines: Record<string, unknown>[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of lines) {
    const aws = line._aws as {
      CloudWatchMetrics?: { Namespace: string; Metrics: { Name: string }[] }[];
    };
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      expect(directive.Namespace).toBe(METRICS_NAMESPACE);
      for (const { Name } of directive.Metrics) {
        const key = typeof line.reason === 'string' ? `${Name}{${line.reason}}` : Name;
        const value = line[Name];
        const values = Array.isArray(value) ? value : [value];
        totals[key] =
          (totals[key] ?? 0) +
          (Name === MetricName.storageLatency ? values.length : values.reduce((a, b) => a + b, 0));
      }
    }
  }
  return totals;
}

describe('metrics and logs', () => {
  it('counts stored, duplicate, refused, unauthorized and fallback outcomes, and times storage', async () => {
    // GIVEN
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    const kept: unknown[] = [];
    const handler = createHandler({
      store: receiver.store,
      credentials: staticCredentials({ username: 'openim', password: 'pw' }),
      logger,
      metrics,
    });
    const failing = createHandler({
      store: createDynamoArchiveStore({
        client: receiver.engine.client,
        tables: { messages: 'no-such-table', seqs: 'no-such-table' },
      }),
      fallback: { keep: async (record) => void kept.push(record) },
      logger,
      metrics,
    });
    const message = sampleMessage(90_001);

    // WHEN
    const lines = await printed(async () => {
      await post(handler, PATH, encodeBody(message, 'v3.8.1'), AUTH);
      await post(handler, PATH, encodeBody(message, 'v3.8.1'), AUTH);
      await post(handler, PATH, encodeBody({ ...message, seq: -1 }, 'v3.8.1'), AUTH);
      await post(handler, PATH, encodeBody(message, 'v3.8.1'));
      await post(failing, PATH, encodeBody(sampleMessage(90_002), 'v3.8.1'));
    });

    // THEN
    expect(metricTotals(lines)).toMatchObject({
      [MetricName.stored]: 1,
      [MetricName.duplicate]: 1,
      [`${MetricName.rejected}{invalid}`]: 1,
      [`${MetricName.rejected}{unauthorized}`]: 1,
      [MetricName.authFailure]: 1,
      [MetricName.fallbackWrite]: 1,
      [`${MetricName.rejected}{receiver-failure}`]: 1,
      [MetricName.storageLatency]: 2,
    });
    expect(kept).toHaveLength(1);
  });

  it('puts operationID and serverMsgID on every log line of a request, refusals included', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
    const handler = createHandler({
      store: receiver.store,
      logger,
    });
    const message = sampleMessage(90_003);

    const lines = await printed(async () => {
      await post(handler, PATH, encodeBody(message, 'v3.8.1'));
      await post(handler, PATH, encodeBody({ ...message, status: 'x' as never }, 'v3.8.1'));
      await post(handler, PATH, 'not json', {
        'content-type': 'application/json',
        operationid: 'op-header',
      });
    });

    const logLines = lines.filter((line) => typeof line.level === 'string');
    expect(logLines.map((l) => [l.message, l.operationID, l.serverMsgID])).toEqual([
      ['Message stored', message.operationID, message.serverMsgID],
      ['Callback refused', message.operationID, message.serverMsgID],
      ['Callback refused', 'op-header', undefined],
    ]);
  });

  it('counts each callback in total and under its own name, for the alarms and the graphs', async () => {
    // GIVEN a receiver with metrics
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    const handler = createHandler({ store: receiver.store, logger: quietLogger(), metrics });

    // WHEN a group message is stored, named by its route
    const lines = await printed(async () => {
      await post(
        handler,
        '/callbackAfterSendGroupMsgCommand',
        encodeGroupBody(sampleGroupMessage(90_004), 'v3.8.1'),
      );
    });

    // THEN its EMF line counts it under the total (service) and under afterSendGroupMsg
    const [emf] = lines.filter((line) => line._aws !== undefined);
    const aws = emf?._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] } | undefined;
    const directive = aws?.CloudWatchMetrics[0];
    expect(directive?.Dimensions).toEqual([['service', 'callback'], ['service']]);
    expect(emf).toMatchObject({ callback: 'afterSendGroupMsg', [MetricName.stored]: 1 });
  });

  it('prints only JSON lines for a refused request, never a plain-text warning', async () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = createHandler({
      store: receiver.store,
      credentials: staticCredentials({ username: 'openim', password: 'pw' }),
      logger,
      metrics,
    });

    const lines = await printedText(async () => {
      await post(handler, PATH, encodeBody(sampleMessage(90_005), 'v3.8.1'));
      await post(handler, PATH, 'not json', AUTH);
    });

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('counts a request it cannot verify as a lost message, where the alarm sees it', async () => {
    // GIVEN credentials that cannot be read (Secrets Manager down, nothing cached)
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const unreadable = {
      current: () => Promise.reject(new Error('unreachable')),
      others: () => Promise.reject(new Error('unreachable')),
    };
    const handler = createHandler({
      store: receiver.store,
      credentials: unreadable,
      logger,
      metrics,
    });

    // WHEN OpenIM posts a message
    let status = 0;
    const lines = await printed(async () => {
      status = (await post(handler, PATH, encodeBody(sampleMessage(90_006), 'v3.8.1'), AUTH))
        .statusCode;
    });

    // THEN it got 503, was counted lost under the callback and in total, and logged CRITICAL
    expect(status).toBe(503);
    expect(metricTotals(lines)).toMatchObject({
      [MetricName.lost]: 1,
      [`${MetricName.rejected}{receiver-failure}`]: 1,
    });
    expect(lines.find((line) => line[MetricName.lost] !== undefined)).toMatchObject({
      callback: 'afterSendSingleMsg',
    });
    expect(lines.some((line) => line.level === 'CRITICAL')).toBe(true);
  });
});
