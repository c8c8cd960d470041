/** `npm start` as OpenIM meets it: the process, and one callback posted to it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { type Agent, request } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from './bundles.ts';
import { BENCH_CREDENTIALS, benchRequest, CALLBACK_PATH } from './openim-traffic.ts';
import { SUCCESS_BODY } from './receiver-code.ts';

/**
 * Starts `node local/start.ts` of the checkout at `root` on free ports with its data in `workDir`;
 * its URLs and `stop`.
 */
export async function startNpmStart(
  workDir: string,
  tableName: string,
  nodeOptions: string,
  root = REPO_ROOT,
) {
  const logFile = join(workDir, 'receiver.log');
  // Its output goes to a file, as to a terminal: written synchronously, never back-pressured.
  const log = await open(logFile, 'w');
  const child = spawn(process.execPath, [join(root, 'local', 'start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...{ PORT: '0', DYNAMODB_PORT: '0', DATA_DIR: join(workDir, 'data'), TABLE_NAME: tableName },
      WEBHOOK_CREDENTIALS: BENCH_CREDENTIALS,
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  /** Stops it as Ctrl-C would, so that a CPU profile gets written, and waits for it. */
  const stop = async () => {
    if (child.exitCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await Promise.all([once(child, 'exit'), child.kill('SIGTERM')]);
    clearTimeout(timer);
  };
  for (const deadline = Date.now() + 60_000; ; ) {
    const text = await readFile(logFile, 'utf8');
    const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
    const engineEndpoint = /engine at (http:\/\/[^\s,]+)/.exec(text)?.[1];
    if (url && engineEndpoint) return { url: new URL(url), engineEndpoint, stop, pid: child.pid };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Posts the n-th OpenIM request; resolves once the whole answer is read and is OpenIM's success. */
export function postCallback(agent: Agent, url: URL, n: number): Promise<void> {
  const { body, headers } = benchRequest(n, 'e');
  const target = { agent, host: url.hostname, port: url.port, path: CALLBACK_PATH, headers };
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: 'POST' }, (response) => {
      let answer = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        answer += chunk;
      });
      response.on('end', () => {
        if (response.statusCode === 200 && answer === SUCCESS_BODY) resolve();
        else reject(new Error(`the receiver answered ${response.statusCode}: ${answer}`));
      });
    });
    req.on('error', reject).end(body);
  });
}
