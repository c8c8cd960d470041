/**
 * `npm run console` over HTTP: the transcript's pages and answers, dynamodb-admin beside it only
 * for the local engine, and the same target flags as `records` for AWS tables. CloudFormation has
 * no engine offline, so it is mocked; the tables are the real local engine.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConsoleArgs, type RunningConsole, startConsole } from '../../local/console.ts';
import { LOCAL_AWS, type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import type { TableClients } from '../../tools/table-target.ts';
import { harnessInstance } from '../support/archive-harness.ts';
import { freePort } from '../support/child.ts';
import {
  COMMANDS,
  encodeSaveDbBody,
  type OpenImMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { post } from '../support/test-receiver.ts';
import {
  ALICE,
  BOB,
  HOSTILE_TEXT,
  storeTranscriptFixture,
  type TranscriptFixture,
} from '../support/transcript-fixture.ts';

let engine: LocalEngine;
let fixture: TranscriptFixture;
let local: RunningConsole;

beforeAll(async () => {
  engine = await startLocalEngine();
  fixture = await storeTranscriptFixture(engine);
  local = await startConsole([], {
    port: 0,
    env: { DYNAMODB_PORT: new URL(engine.endpoint).port, TABLE_NAME: fixture.tables.messages },
  });
}, 60_000);

afterAll(async () => {
  await local?.close();
  await engine?.close();
});

/** A page's answer: status, headers, and its text. */
async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('the transcript, locally', () => {
  it('serves the conversation as a transcript, the hostile message escaped', async () => {
    const page = await get(`${local.transcriptUrl}/conversation?a=${ALICE}&b=${BOB}`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(page.text).not.toContain(HOSTILE_TEXT);
    expect(page.text).not.toMatch(/<(script|img|svg)/i);
    expect(page.text).toContain('<strong>Seqs 6–8 never received</strong>');
  });

  it('puts a policy without any script, and no caching, on every answer', async () => {
    const answers = await Promise.all(
      [
        '',
        '/style.css',
        `/message?id=${fixture.revoked}`,
        '/message?id=nope',
        '/nowhere',
        '/day?day=not-a-day',
      ].map((path) => get(`${local.transcriptUrl}${path}`)),
    );

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 404, 400]);
    for (const { headers } of answers) {
      expect(headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'none'; style-src 'self'; form-action 'self'; " +
          "base-uri 'none'; frame-ancestors 'none'",
      );
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('cache-control')).toBe('no-store');
    }
    expect(answers[3]?.text).toContain(`The archive has no message nope.`);
    expect(answers[5]?.text).toContain('&quot;not-a-day&quot; is not a day');
  });

  it('answers GET and HEAD only, and writes nothing', async () => {
    const url = `${local.transcriptUrl}/conversation?a=${ALICE}&b=${BOB}`;

    const head = await get(url, { method: 'HEAD' });
    const refused = await Promise.all(
      ['POST', 'PUT', 'DELETE', 'PATCH'].map((method) => get(url, { method })),
    );

    expect(head).toMatchObject({ status: 200, text: '' });
    for (const answer of refused) {
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('lists what a user sent across conversations, with a link to each conversation', async () => {
    const page = await get(`${local.transcriptUrl}/sent?user=${BOB}&from=2025-11-24T15:05`);

    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Sent by bob</h1>');
    expect(page.text).toContain('From 2025-11-24T15:05 to the end (UTC).');
    expect(page.text.match(/<li class="msg/g)).toHaveLength(3);
    expect(page.text).toContain(
      '<span class="to">to <a href="/transcript/conversation?a=bob&amp;b=alice&amp;at=',
    );
    expect(page.text).not.toContain('never received');
  });

  it('refuses a page asked for under another host name (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      request(`${local.transcriptUrl}`, { headers: { host: 'attacker.example:8001' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });

    expect(status).toBe(403);
  });

  it('marks a message that claimed a seq another message holds, in place and on its page', async () => {
    // GIVEN two messages of one conversation that both came with seq 1 (an OpenIM restored)
    const { handler, client } = await harnessInstance(engine, { tables: fixture.tables });
    const [first, second] = [1, 2].map((n) =>
      sampleMessage(950_000 + n, { sendID: 'carol', recvID: 'dave', sendTime: 1_000 + n }),
    ) as [OpenImMessage, OpenImMessage];
    for (const message of [first, second]) {
      expect(
        (await post(handler, `/${COMMANDS.saveDB}`, encodeSaveDbBody(message, 1))).statusCode,
      ).toBe(200);
    }
    client.destroy();

    // WHEN the conversation and the second message's record are opened
    const transcript = await get(`${local.transcriptUrl}/conversation?a=dave&b=carol`);
    const record = await get(`${local.transcriptUrl}/message?id=${second.serverMsgID}`);

    // THEN both say the seq stays with the first
    const mark = `<strong>Seq conflict</strong>: seq 1 stays with <a href="/transcript/message?id=${first.serverMsgID}">`;
    expect(transcript.text.split(mark)).toHaveLength(2);
    expect(record.text).toContain(mark);
  });

  it('serves dynamodb-admin beside it, at /', async () => {
    const tables = await get(`${local.adminUrl}api/tables`);

    expect(tables.status).toBe(200);
    expect(tables.text).toContain(fixture.tables.messages);
  });

  it('says which table is missing when the engine answers without it', async () => {
    const other = await startConsole([], {
      port: 0,
      env: { DYNAMODB_PORT: new URL(engine.endpoint).port, TABLE_NAME: 'no-such-table' },
    });
    try {
      const page = await get(other.transcriptUrl);

      expect(page.status).toBe(503);
      expect(page.text).toContain('answers, but has no table no-such-table: npm start creates it.');
    } finally {
      await other.close();
    }
  });

  it("answers dynamodb-admin's pages with what to start when the engine is not running", async () => {
    const stopped = await freePort();
    const lines: string[] = [];
    const other = await startConsole([], {
      port: 0,
      env: { DYNAMODB_PORT: String(stopped), TABLE_NAME: fixture.tables.messages },
      log: (line) => lines.push(line),
    });
    try {
      for (const path of ['', 'api/tables']) {
        const page = await get(`${other.adminUrl}${path}`);

        expect(page.status).toBe(503);
        expect(page.headers.get('content-type')).toContain('text/html');
        expect(page.text).toContain(`Nothing answers at http://127.0.0.1:${stopped}`);
        expect(page.text).toContain('<code>npm start</code>');
        expect(page.text).not.toContain('ECONNREFUSED');
      }
      expect(lines).toEqual([
        `dynamodb-admin: Nothing answers at http://127.0.0.1:${stopped}: the receiver's engine is not running.`,
        `dynamodb-admin: Nothing answers at http://127.0.0.1:${stopped}: the receiver's engine is not running.`,
      ]);
    } finally {
      await other.close();
    }
  });
});

/** CloudFormation (mocked) naming the fixture's tables, and the regions the clients were asked in. */
function aws(outputs: Record<string, string>) {
  const config = { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } };
  const cloudFormationClient = new CloudFormationClient(config);
  const cloudFormation = mockClient(cloudFormationClient);
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'Archive',
        CreationTime: new Date(0),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  });
  const regions: (string | undefined)[] = [];
  const commands: string[] = [];
  const clients = (region: string | undefined): TableClients => {
    regions.push(region);
    const dynamoDB = new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint });
    dynamoDB.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'record' },
    );
    return { cloudFormation: cloudFormationClient, dynamoDB };
  };
  return { cloudFormation, clients, regions, commands };
}

describe('the transcript of a deployment', () => {
  it('reads --stack NAME --region R from its outputs, and serves no dynamodb-admin', async () => {
    // GIVEN a stack whose outputs name the tables
    const { cloudFormation, clients, regions, commands } = aws({
      TableName: fixture.tables.messages,
      SeqTableName: fixture.tables.seqs,
    });

    // WHEN the console starts on it
    const remote = await startConsole(['--stack', 'Archive', '--region', 'eu-west-1'], {
      port: 0,
      clients,
    });
    try {
      const start = await get(remote.transcriptUrl);
      const page = await get(`${remote.transcriptUrl}/conversation?a=${BOB}&b=${ALICE}`);
      const root = await get(remote.transcriptUrl.replace('/transcript', '/'));
      const admin = await get(remote.transcriptUrl.replace('/transcript', '/api/tables'));

      // THEN it reads the stack's tables in its region, gaps included
      expect(remote.adminUrl).toBeUndefined();
      expect(regions).toEqual(['eu-west-1']);
      expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
        StackName: 'Archive',
      });
      expect(start.text).toContain(`stack Archive in eu-west-1 (table ${fixture.tables.messages})`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<strong>Seqs 6–8 never received</strong>');
      // AND serves the transcript alone: / leads there, dynamodb-admin's API is not there
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/transcript');
      expect(admin.status).toBe(404);
      // AND it only read
      expect(new Set(commands)).toEqual(
        new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand']),
      );
    } finally {
      await remote.close();
    }
  });

  it('reads --table T --seq-table S without CloudFormation, and says when gaps cannot be shown', async () => {
    const { cloudFormation, clients } = aws({});
    const both = await startConsole(
      ['--table', fixture.tables.messages, '--seq-table', fixture.tables.seqs],
      { port: 0, clients },
    );
    const messagesOnly = await startConsole(['--table', fixture.tables.messages], {
      port: 0,
      clients,
    });
    try {
      const withGaps = await get(`${both.transcriptUrl}/conversation?a=${ALICE}&b=${BOB}`);
      const without = await get(`${messagesOnly.transcriptUrl}/conversation?a=${ALICE}&b=${BOB}`);

      expect(withGaps.text).toContain('Seqs 6–8 never received');
      expect(without.status).toBe(200);
      expect(without.text).not.toContain('never received');
      expect(without.text).toContain('Gaps are not shown: the seqs table is unknown');
      expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    } finally {
      await both.close();
      await messagesOnly.close();
    }
  });

  it('says what to set when the stack is not there or the credentials are missing', async () => {
    // GIVEN CloudFormation's own answer for an unknown stack, and a client without credentials
    const { cloudFormation, clients } = aws({});
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }),
      );
    const noCredentials = () => ({
      ...clients(undefined),
      dynamoDB: new DynamoDBClient({
        region: 'eu-west-1',
        endpoint: engine.endpoint,
        credentials: async () => {
          throw Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          });
        },
      }),
    });
    const unknownStack = await startConsole(['--stack', 'Nope'], { port: 0, clients });
    const unsigned = await startConsole(['--table', 'T', '--seq-table', 'S'], {
      port: 0,
      clients: noCredentials,
    });
    try {
      // WHEN a reviewer opens either
      const [stack, credentials] = await Promise.all([
        get(unknownStack.transcriptUrl),
        get(`${unsigned.transcriptUrl}/group?id=G`),
      ]);

      // THEN a page says what to do, not a raw error
      expect(stack.status).toBe(503);
      expect(stack.text).toContain(
        'Stack &quot;Nope&quot; was not found in eu-west-1. Fix: --stack NAME',
      );
      expect(stack.text).toContain('<code>--stack Nope</code> must be the <code>stackName</code>');
      expect(credentials.status).toBe(503);
      expect(credentials.text).toContain('No AWS credentials found. Sign in first');
      expect(credentials.text).toContain('Region: the one the stack is deployed in');
      expect(credentials.text).not.toMatch(/at \w+ \(|node_modules/);
    } finally {
      await unknownStack.close();
      await unsigned.close();
    }
  });

  it('refuses flags that name no one target, with the fix', () => {
    expect(() => parseConsoleArgs(['--seq-table', 'S'])).toThrow('--seq-table goes with --table');
    expect(() => parseConsoleArgs(['--stack', 'A', '--table', 'T'])).toThrow('not both');
    expect(() => parseConsoleArgs(['--region', 'eu-west-1'])).toThrow(
      '--region goes with --stack or --table',
    );
    expect(() => parseConsoleArgs(['--tabel', 'T'])).toThrow(/Unknown option '--tabel'/);
    expect(parseConsoleArgs(['--stack', 'A', '--region', 'eu-west-1'])).toEqual({
      help: false,
      target: { stack: 'A', region: 'eu-west-1' },
    });
  });

  it('says when its port is taken', async () => {
    const port = await freePort();
    const first = await startConsole([], { port, env: {} });
    try {
      await expect(startConsole([], { port, env: {} })).rejects.toThrow(
        `port ${port} is already in use: stop what uses it, or set CONSOLE_PORT`,
      );
    } finally {
      await first.close();
    }
  });
});
