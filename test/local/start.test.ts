import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../local/data-dir-lock.ts';
import { LOCAL_AWS, startLocalEngine } from '../../local/local-engine.ts';
import { RECEIVER_INFO_FILE } from '../../local/receiver-info.ts';
import { freePort, run } from '../support/child.ts';
import { basicAuthorization, V38_EXAMPLE_BODY } from '../support/openim-wire.ts';
import { SUCCESS } from '../support/test-receiver.ts';

const SERVER_MSG_ID = '0b2676769e9eceb4983cb12966586f48';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'receiver-data-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Starts `npm start` on free ports and returns it with the URLs its banner prints. */
async function startReceiver(dynamoPort: number) {
  const started = run('npm', ['start'], {
    PORT: '0',
    DYNAMODB_PORT: String(dynamoPort),
    DATA_DIR: dataDir,
  });
  const [, url] = await started.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { started, url: url as string, endpoint: `http://127.0.0.1:${dynamoPort}` };
}

/** Reads one record through the AWS SDK pointed at the local endpoint, as a user would. */
async function readRecord(endpoint: string) {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: 'openim-messages',
      Key: { serverMsgID: { S: SERVER_MSG_ID } },
    }),
  );
  client.destroy();
  return Item && unmarshall(Item);
}

describe('npm start', () => {
  it('serves OpenIM, keeps the data across restarts, and stops cleanly on SIGTERM', async () => {
    // GIVEN the receiver started as the README says
    const dynamoPort = await freePort();
    const first = await startReceiver(dynamoPort);
    expect(first.started.output()).toContain('afterSendSingleMsg:');
    expect(first.started.output()).toContain(`url: ${first.url}`);

    // WHEN OpenIM posts the v3.8 example body
    const response = await fetch(`${first.url}/callbackAfterSendSingleMsgCommand`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: V38_EXAMPLE_BODY,
    });

    // THEN it answers success and the record is in the local engine
    expect(await response.json()).toEqual(SUCCESS);
    expect(await readRecord(first.endpoint)).toMatchObject(JSON.parse(V38_EXAMPLE_BODY));

    // WHEN a second receiver is started on the same data folder, THEN it refuses, saying why
    const rival = run('npm', ['start'], { PORT: '0', DYNAMODB_PORT: '0', DATA_DIR: dataDir });
    await rival.waitFor(/Cannot start the receiver: .* is in use by another receiver/);
    await rival.stop();

    // WHEN it is stopped and started again on the same data folder
    await first.started.stop('SIGTERM');
    expect(first.started.output()).toContain('Stopped; every accepted message is stored.');
    const second = await startReceiver(dynamoPort);

    // THEN the record is still there
    try {
      expect(await readRecord(second.endpoint)).toMatchObject(JSON.parse(V38_EXAMPLE_BODY));
    } finally {
      await second.started.stop('SIGINT');
    }
  }, 60_000);

  it('lets npm run console browse the records with dynamodb-admin', async () => {
    // GIVEN a running receiver holding one message
    const dynamoPort = await freePort();
    const receiver = await startReceiver(dynamoPort);
    await fetch(`${receiver.url}/callbackAfterSendSingleMsgCommand`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: V38_EXAMPLE_BODY,
    });
    const consolePort = await freePort();
    const admin = run('npm', ['run', 'console'], {
      DYNAMODB_PORT: String(dynamoPort),
      CONSOLE_PORT: String(consolePort),
    });
    try {
      await admin.waitFor(/listening on/);

      // WHEN a person opens the table and the message
      const tables = await (await fetch(`http://127.0.0.1:${consolePort}/api/tables`)).json();
      const page = await fetch(
        `http://127.0.0.1:${consolePort}/tables/openim-messages/items/${SERVER_MSG_ID}`,
      );

      // THEN the table and the record are there
      expect(JSON.stringify(tables)).toContain('openim-messages');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('si_user_a_user_b');
    } finally {
      await admin.stop();
      await receiver.started.stop();
    }
  }, 60_000);

  it('stops gracefully when its terminal is closed, even with nowhere left to print', async () => {
    // GIVEN the receiver (node directly, so its own exit code is seen) holding one message
    const dir = await mkdtemp(join(tmpdir(), 'receiver-hangup-'));
    const child = spawn(process.execPath, ['local/start.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: '0', DYNAMODB_PORT: String(await freePort()), DATA_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let banner = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          banner += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(banner);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error(`exited early:\n${banner}`)));
      });
      const answer = await fetch(`${url}/callbackAfterSendSingleMsgCommand`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: V38_EXAMPLE_BODY,
      });
      expect(await answer.json()).toEqual(SUCCESS);

      // WHEN the terminal goes away: its output pipes close, then the hang-up signal arrives
      const exited = once(child, 'exit');
      child.stdout.destroy();
      child.stderr.destroy();
      child.kill('SIGHUP');

      // THEN it still stops cleanly: exit code 0 and the data folder released
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      await expect(stat(join(dir, 'receiver.pid'))).rejects.toThrow(/ENOENT/);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    [
      'listen beyond loopback without credentials',
      { HOST: '0.0.0.0' },
      /^Cannot start the receiver: HOST=0\.0\.0\.0 lets other machines post, so WEBHOOK_CREDENTIALS is required\. Fix: /,
    ],
    [
      'take a malformed source allowlist',
      { ALLOWED_SOURCE_CIDRS: '10.0.0.0/8/9' },
      /^Cannot start the receiver: ALLOWED_SOURCE_CIDRS is invalid: "10\.0\.0\.0\/8\/9" is not an IPv4 or IPv6 address or CIDR\. Fix: /,
    ],
    [
      'take a table name DynamoDB would refuse',
      { TABLE_NAME: 'openim messages' },
      /^Cannot start the receiver: TABLE_NAME is "openim messages", but DynamoDB table names are 3 to 255 letters, digits, "_", "-" or "\.", and the seqs table's name is "openim messages-seqs"\. Fix: /,
    ],
    [
      "give the receiver its engine's port",
      'same ports',
      /^Cannot start the receiver: PORT and DYNAMODB_PORT are both \d+ \(set or by default\), but the receiver and its engine each need a port of their own\. Fix: /,
    ],
  ])(
    'refuses to %s, in one line on stderr, before taking a port',
    async (_, env, reason) => {
      // GIVEN free ports and an empty data folder
      const dir = await mkdtemp(join(tmpdir(), 'receiver-refused-'));
      const [port, dynamoPort] = [await freePort(), await freePort()];

      // WHEN npm start runs with the setting
      const started = run('npm', ['start'], {
        PORT: String(port),
        DYNAMODB_PORT: String(dynamoPort),
        DATA_DIR: dir,
        ...(typeof env === 'string' ? { DYNAMODB_PORT: String(port) } : env),
      });
      const code = await started.closed();

      // THEN it exits 1 with one line naming the setting, and holds nothing
      try {
        expect(code).toBe(1);
        expect(started.errors()).toMatch(reason);
        expect(started.errors().trimEnd().split('\n')).toHaveLength(1);
        await expect(refused(port)).resolves.toBe(true);
        await expect(refused(dynamoPort)).resolves.toBe(true);
        await expect(stat(join(dir, 'receiver.pid'))).rejects.toThrow(/ENOENT/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.each([
    ['its engine', 'DYNAMODB_PORT'],
    ['the receiver', 'PORT'],
  ])(
    'says when the port of %s is taken, and leaves no data folder it made',
    async (_, taken) => {
      // GIVEN a port something else holds, and a DATA_DIR that does not exist yet
      const parent = await mkdtemp(join(tmpdir(), 'receiver-port-taken-'));
      const dir = join(parent, 'data');
      const holder = createServer().listen(0, '127.0.0.1');
      await once(holder, 'listening');
      const held = (holder.address() as { port: number }).port;
      const ports = { PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()) };

      // WHEN npm start runs on it
      const started = run('npm', ['start'], { ...ports, [taken]: String(held), DATA_DIR: dir });
      const code = await started.closed();

      // THEN one line names the port and the settings, and the folder it made is gone again
      try {
        expect(code).toBe(1);
        expect(started.errors().trimEnd()).toBe(
          `Cannot start the receiver: port ${held} is already in use: stop what uses it, or set PORT / DYNAMODB_PORT`,
        );
        await expect(stat(dir)).rejects.toThrow(/ENOENT/);
        await expect(stat(parent)).resolves.toBeDefined();
      } finally {
        holder.close();
        await rm(parent, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('with credentials, listens on every interface while its engine stays on loopback', async () => {
    // GIVEN the receiver started for OpenIM in Docker
    const dir = await mkdtemp(join(tmpdir(), 'receiver-everywhere-'));
    const dynamoPort = await freePort();
    const started = run('npm', ['start'], {
      HOST: '0.0.0.0',
      WEBHOOK_CREDENTIALS: 'openim:s3cret',
      PORT: '0',
      DYNAMODB_PORT: String(dynamoPort),
      DATA_DIR: dir,
    });
    try {
      const [, port] = await started.waitFor(/listening on http:\/\/0\.0\.0\.0:(\d+)/);
      expect(started.output()).toContain(
        `url: http://openim:PASSWORD@host.docker.internal:${port}`,
      );

      // WHEN OpenIM posts to an address of this machine other than loopback (if it has one)
      const address =
        Object.values(networkInterfaces())
          .flat()
          .find((i) => i?.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
      const response = await fetch(`http://${address}:${port}/callbackAfterSendSingleMsgCommand`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          Authorization: basicAuthorization('openim', 's3cret'),
        },
        body: V38_EXAMPLE_BODY,
      });

      // THEN it is stored, and the engine cannot be reached on that address
      expect(await response.json()).toEqual(SUCCESS);
      if (address !== '127.0.0.1') await expect(refused(dynamoPort, address)).resolves.toBe(true);
      await expect(refused(dynamoPort)).resolves.toBe(false);
    } finally {
      await started.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('npm start on a data folder of its own', () => {
  it('tells the tools and the console where its engine and tables are: DATA_DIR is all they need', async () => {
    // GIVEN the receiver started with its own folder, engine port and table name
    const dir = await mkdtemp(join(tmpdir(), 'receiver-elsewhere-'));
    const dynamoPort = await freePort();
    const started = run('npm', ['start'], {
      PORT: '0',
      DYNAMODB_PORT: String(dynamoPort),
      DATA_DIR: dir,
      TABLE_NAME: 'trial-messages',
    });
    try {
      const [, url] = await started.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      await fetch(`${url}/callbackAfterSendSingleMsgCommand`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: V38_EXAMPLE_BODY,
      });
      expect(JSON.parse(await readFile(join(dir, RECEIVER_INFO_FILE), 'utf8'))).toMatchObject({
        endpoint: `http://127.0.0.1:${dynamoPort}`,
        tables: { messages: 'trial-messages', seqs: 'trial-messages-seqs' },
        url,
      });

      // WHEN records runs with DATA_DIR alone
      const records = run(
        'npm',
        ['run', '--silent', 'records', '--', 'conversation', 'user_a', 'user_b'],
        {
          DATA_DIR: dir,
        },
      );
      const code = await records.closed();

      // THEN it reads that engine's tables, says so, and finds the message
      expect(code, records.errors()).toBe(0);
      expect(records.errors()).toContain(
        `Reading the local engine at http://127.0.0.1:${dynamoPort}: tables "trial-messages" and "trial-messages-seqs", from the receiver running on ${dir} (its receiver.json)\n`,
      );
      expect(JSON.parse(records.stdout())).toMatchObject({ serverMsgID: SERVER_MSG_ID });

      // AND the console, given DATA_DIR alone, shows that engine
      const consolePort = await freePort();
      const admin = run('npm', ['run', 'console'], {
        DATA_DIR: dir,
        CONSOLE_PORT: String(consolePort),
      });
      try {
        await admin.waitFor(/listening on/);
        expect(admin.output()).toContain(`showing the engine at http://127.0.0.1:${dynamoPort}`);
        const tables = await (await fetch(`http://127.0.0.1:${consolePort}/api/tables`)).json();
        expect(JSON.stringify(tables)).toContain('trial-messages');
      } finally {
        await admin.stop();
      }
    } finally {
      await started.stop();
    }

    // AND once it stopped, the file is gone, so nothing follows it to a dead engine
    try {
      await expect(stat(join(dir, RECEIVER_INFO_FILE))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("npm start's refusals", () => {
  it('names ALLOWED_SOURCE_CIDRS in a 403, and answers a body that never completes with a 408 it logs and counts', async () => {
    // GIVEN the receiver with an allowlist this machine is not on, and its metrics printed
    const dir = await mkdtemp(join(tmpdir(), 'receiver-refusals-'));
    const started = run('npm', ['start'], {
      PORT: '0',
      DYNAMODB_PORT: String(await freePort()),
      DATA_DIR: dir,
      ALLOWED_SOURCE_CIDRS: '10.9.9.9',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    try {
      const [, port] = await started.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      expect(started.output()).toContain(
        'only from 10.9.9.9/32 (ALLOWED_SOURCE_CIDRS); others get 403',
      );

      // WHEN a message comes from 127.0.0.1
      const refused403 = await fetch(`http://127.0.0.1:${port}/callbackAfterSendSingleMsgCommand`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: V38_EXAMPLE_BODY,
      });

      // THEN the answer names the variable to change, not the CDK key
      expect(refused403.status).toBe(403);
      expect(((await refused403.json()) as { errDlt: string }).errDlt).toBe(
        '127.0.0.1 is not in ALLOWED_SOURCE_CIDRS: add the OpenIM server address to it',
      );

      // WHEN a request's body never completes
      const sent = performance.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(
            'POST /callbackAfterSendSingleMsgCommand HTTP/1.1\r\nHost: x\r\n' +
              'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{',
          ),
        );
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });

      // THEN it is answered as a timeout, in OpenIM's shape, before OpenIM's 5 s are up
      expect(performance.now() - sent).toBeLessThan(4_500);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
        actionCode: 1,
        errCode: 408,
      });

      // AND it is logged and counted as the handler logs and counts its refusals
      // Warnings go to stderr, metrics to stdout: each read alone, so no line is cut by the other.
      const lines = () =>
        [started.stdout(), started.errors()]
          .flatMap((text) => text.split('\n'))
          .filter((line) => line.startsWith('{') && line.endsWith('}'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      const logged = (expected: Record<string, unknown>) =>
        lines().some((line) => Object.entries(expected).every(([k, v]) => line[k] === v));
      await eventually(
        () =>
          logged({ level: 'WARN', message: 'Callback refused', statusCode: 408 }) &&
          logged({ reason: 'timeout', Rejections: 1 }),
      );
      expect(lines()).toContainEqual(
        expect.objectContaining({ reason: 'source-not-allowed', Rejections: 1 }),
      );
    } finally {
      await started.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('npm start under a supervisor', () => {
  it('stops when only npm gets SIGTERM: answers and stores the request in flight, frees its ports and its data folder', async () => {
    // GIVEN npm start in its own process group, as a supervisor or a terminal starts it
    const { dir, dynamoPort, started, npmPid } = await startSupervised('receiver-supervised-');
    let receiverPid = 0;
    try {
      const [, url] = await started.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const port = Number(new URL(url as string).port);
      // npm runs `sh -c "node local/start.ts"`: the receiver is npm's grandchild.
      receiverPid = Number(await readFile(join(dir, 'receiver.pid'), 'utf8'));
      expect(receiverPid).not.toBe(npmPid);

      // AND a request in flight: its headers and part of its body are sent
      const body = Buffer.from(V38_EXAMPLE_BODY);
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
      });
      const answered = once(socket, 'close');
      socket.write(
        'POST /callbackAfterSendSingleMsgCommand HTTP/1.1\r\nHost: receiver\r\n' +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body.subarray(0, 100));

      // WHEN the supervisor sends SIGTERM to npm's process alone (kill -TERM <npm pid>)
      process.kill(npmPid, 'SIGTERM');
      await started.exitCode();
      // ... and the rest of the body arrives while the receiver is stopping
      await eventually(() => started.output().includes('finishing requests in flight'));
      socket.write(body.subarray(100));
      await answered;

      // THEN the request was answered with success
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(SUCCESS);

      // AND the receiver exits, its ports are free and its data folder is released
      await eventually(() => !isRunning(receiverPid));
      expect(started.output()).toContain('Stopped; every accepted message is stored.');
      await expect(refused(port)).resolves.toBe(true);
      await expect(refused(dynamoPort)).resolves.toBe(true);
      await expect(canListen(port)).resolves.toBe(true);
      await expect(canListen(dynamoPort)).resolves.toBe(true);
      await expect(stat(join(dir, 'receiver.pid'))).rejects.toThrow(/ENOENT/);

      // AND the message is in the data folder it left
      const engine = await startLocalEngine({ dataDir: dir });
      try {
        const { Item } = await engine.client.send(
          new GetItemCommand({
            TableName: 'openim-messages',
            Key: { serverMsgID: { S: SERVER_MSG_ID } },
          }),
        );
        expect(Item && unmarshall(Item)).toMatchObject(JSON.parse(V38_EXAMPLE_BODY));
      } finally {
        await engine.close();
      }
    } finally {
      await cleanUp(receiverPid, dir);
    }
  }, 60_000);
});

describe('npm start under a supervisor, stopped while starting', () => {
  it('stops and frees everything when npm gets SIGTERM before the receiver is ready', async () => {
    // GIVEN npm start, caught while the receiver is starting: it holds the data folder, no banner yet
    const { dir, dynamoPort, started, npmPid } = await startSupervised('receiver-early-');
    let receiverPid = 0;
    try {
      await eventually(() => {
        receiverPid = Number(readFileSync(join(dir, 'receiver.pid'), 'utf8'));
        return receiverPid > 0;
      });
      expect(started.output()).not.toContain('listening on');

      // WHEN the supervisor sends SIGTERM to npm's process alone
      process.kill(npmPid, 'SIGTERM');
      await started.exitCode();

      // THEN the receiver still finishes starting, then stops, freeing its ports and the folder
      await eventually(() => !isRunning(receiverPid));
      expect(started.output()).toContain('Stopped; every accepted message is stored.');
      await expect(canListen(dynamoPort)).resolves.toBe(true);
      await expect(stat(join(dir, 'receiver.pid'))).rejects.toThrow(/ENOENT/);
    } finally {
      await cleanUp(receiverPid, dir);
    }
  }, 60_000);
});

/** `npm start` on a fresh data folder and engine port, started as a supervisor starts it. */
async function startSupervised(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const dynamoPort = await freePort();
  const started = run('npm', ['start'], {
    PORT: '0',
    DYNAMODB_PORT: String(dynamoPort),
    DATA_DIR: dir,
  });
  return { dir, dynamoPort, started, npmPid: started.child.pid as number };
}

/** Kills the receiver if a failed test left it running, and removes its data folder. */
async function cleanUp(receiverPid: number, dir: string): Promise<void> {
  if (receiverPid > 0 && isRunning(receiverPid)) process.kill(receiverPid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
}

/** Resolves once `condition` holds, or rejects after `timeoutMs`. */
async function eventually(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const holds = () => {
    try {
      return condition();
    } catch {
      return false; // e.g. a file not written yet
    }
  };
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `port` can be bound on 127.0.0.1 again. */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether a TCP connection to `host:port` is refused (nothing listens there). */
function refused(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
