/**
 * `npm run -s reconcile -- --openim-api URL`: makes the archive complete against OpenIM's own
 * store (see `lambda/reconcile/reconcile.ts`), locally by default or in AWS with `--stack` or
 * `--table`. OpenIM's secret comes from OPENIM_SECRET, or with `--stack` from the stack's secret
 * in Secrets Manager; never from a flag. A progress bar and a summary table on a terminal; with
 * `--json` or when piped, progress on stderr and one JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { createDynamoArchiveStore } from '../lambda/archive-store.ts';
import { OpenImApi, OpenImApiError } from '../lambda/openim-api.ts';
import {
  type ReconcileProgress,
  type ReconcileSummary,
  reconcile,
} from '../lambda/reconcile/reconcile.ts';
import { commandLine, type MainOptions, type Output, wantsJson } from './cli-output.ts';
import { readStackOutputs } from './stack-reader.ts';
import {
  awsTableClients,
  isLocalTarget,
  missingTableMessage,
  resolveTableTarget,
  TARGET_OPTIONS,
  type TableClients,
  type TableTarget,
} from './table-target.ts';
import { describeFailure, ToolError } from './tool-failure.ts';

/** What `reconcile --help` prints. */
export const USAGE = `usage: OPENIM_SECRET=… npm run -s reconcile -- --openim-api URL [options]
  --openim-api URL          OpenIM's API (openim-api, port 10002 by default), e.g.
                            http://openim.example.com:10002
  --admin-user ID           an admin user of OpenIM (default imAdmin: imAdminUserID on v3.8,
                            imAdminUser.userIDs on main, in config/share.yml)
  --conversation ID         only this conversation (repeatable); default: every one-to-one and
                            group conversation OpenIM has
  --dry-run                 count what would change, change nothing
  --recheck-seqs N          newest seqs of an active conversation asked again for revokes
                            (default 100)
  --recheck-hours H         a conversation is active if its newest message is this recent
                            (default 24)
  --json                    one JSON line on stdout at the end (the default when piped)
  --stack NAME | --table NAME --seq-table NAME [--region R]
                            the tables (default: the local receiver's engine)
OPENIM_SECRET is the 'secret' of OpenIM's config/share.yml. It is read from the environment only;
with --stack and no OPENIM_SECRET, from the stack's OpenIM secret in Secrets Manager.`;

/** The AWS clients a reconcile uses. */
export interface ReconcileClients extends TableClients {
  readonly secretsManager: SecretsManagerClient;
}

/** The real clients, in `region` or the SDK's default one. */
export function awsReconcileClients(region: string | undefined): ReconcileClients {
  return {
    ...awsTableClients(region),
    secretsManager: new SecretsManagerClient(region ? { region } : {}),
  };
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'dynamodb:GetItem, Query, BatchGetItem, PutItem and UpdateItem on both tables (with --stack, ' +
  'also cloudformation:DescribeStacks, and secretsmanager:GetSecretValue on its OpenIM secret)';

/** One row per count, with what it means, for the terminal. */
const COUNT_ROWS: [keyof ReconcileSummary, string][] = [
  ['recovered', 'chat messages the callbacks missed, now stored'],
  ['linked', 'archived messages that got their real seq or its link'],
  ['revoked', 'messages newly marked revoked'],
  ['notifications', 'seqs that hold a notification, not a chat message'],
  ['deleted', 'seqs deleted in OpenIM'],
  ['gaps', 'seqs OpenIM no longer has (npm run -s records -- gaps ID)'],
  ['conflicts', 'messages whose seq another message already holds'],
  ['unrecoverable', 'chat messages OpenIM has that could not be stored (below)'],
];

/**
 * A progress bar on a terminal, or a line every few seconds in a pipe; `finish` draws the last
 * counts (in a pipe) or clears the bar (on a terminal) before the summary.
 */
function progressReporter(stderr: Output, tty: boolean) {
  let last = 0;
  let latest: ReconcileProgress | undefined;
  const draw = (p: ReconcileProgress) => {
    const counts = `${p.conversations} conversation(s) · ${p.recovered} recovered · ${p.linked} linked · ${p.revoked} revoked`;
    if (!tty) {
      const users = p.usersTotal ? `users ${p.usersDone}/${p.usersTotal} · ` : '';
      stderr.write(`  ${users}${counts}\n`);
      return;
    }
    const share = p.usersTotal ? Math.min(1, p.usersDone / p.usersTotal) : 0;
    const width = 24;
    const bar = p.usersTotal
      ? `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] users ${p.usersDone}/${p.usersTotal} · `
      : '';
    stderr.write(`\r${bar}${counts}\x1b[K`);
  };
  return {
    update(p: ReconcileProgress) {
      latest = p;
      const at = Date.now();
      if (at - last < (tty ? 100 : 5_000)) return;
      last = at;
      draw(p);
    },
    finish() {
      if (tty) stderr.write('\r\x1b[K');
      else if (latest) draw(latest);
    },
  };
}

/** The summary for a terminal: one row per count, then what was re-checked, skipped or failed. */
function summaryText(summary: ReconcileSummary, api: string, dryRun: boolean): string {
  const lines = [
    `Reconciled ${summary.conversations} conversation(s) with OpenIM at ${api}` +
      `${dryRun ? ' (dry run: nothing was written)' : ''}${summary.complete ? '' : ' (stopped before the end)'}`,
    ...COUNT_ROWS.map(
      ([key, meaning]) => `  ${key.padEnd(14)}${String(summary[key]).padStart(8)}  ${meaning}`,
    ),
  ];
  const { rechecked } = summary;
  if (rechecked.conversations > 0) {
    lines.push(
      `Re-checked for revokes the newest ${rechecked.seqs} seq(s) of ${rechecked.conversations} ` +
        'conversation(s) active lately (--recheck-seqs, --recheck-hours).',
    );
  }
  if (summary.skipped > 0) {
    lines.push(`Left out ${summary.skipped} notification conversation(s) (n_…): no chat there.`);
  }
  for (const { conversationID, reason } of summary.failed) {
    lines.push(`Could not pull ${conversationID}: ${reason}`);
  }
  for (const { serverMsgID, reason } of summary.problems) {
    lines.push(`Could not store ${serverMsgID}: ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** OpenIM's secret: OPENIM_SECRET, or with --stack the stack's secret in Secrets Manager. */
async function openImSecret(
  env: Readonly<Record<string, string | undefined>>,
  stack: string | undefined,
  clients: ReconcileClients,
): Promise<string> {
  const fromEnv = env.OPENIM_SECRET;
  if (fromEnv) return fromEnv;
  if (stack) {
    const outputs = await readStackOutputs(clients.cloudFormation, stack, {
      permissions: PERMISSIONS,
    });
    const secretArn = outputs[STACK_OUTPUTS.openImSecretArn];
    if (secretArn) {
      const { SecretString } = await clients.secretsManager.send(
        new GetSecretValueCommand({ SecretId: secretArn }),
      );
      if (SecretString) return SecretString;
      throw new ToolError(
        `The stack's OpenIM secret (${secretArn}) is empty. Fix: aws secretsmanager ` +
          `put-secret-value --secret-id ${secretArn} --secret-string "$OPENIM_SECRET"`,
      );
    }
  }
  throw new ToolError(
    "OPENIM_SECRET is not set. Fix: OPENIM_SECRET='…' npm run -s reconcile -- … with the " +
      "'secret' of OpenIM's config/share.yml (read from the environment only, never a flag)",
  );
}

/** A whole number option of at least `min`. */
function wholeNumber(value: string | undefined, option: string, fallback: number, min: number) {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new ToolError(`--${option} must be a whole number of at least ${min}, not "${value}"`);
  }
  return Number(value);
}

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions<ReconcileClients> & { readonly fetch?: typeof fetch } = {},
): Promise<number> {
  const { stdout = process.stdout, stderr = process.stderr, env = process.env } = options;
  const parsed = commandLine('reconcile', USAGE, () => parseCommandLine(argv), {
    stdout,
    stderr,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const context = {
    region: values.region,
    permissions: PERMISSIONS,
    localEngine: isLocalTarget(values),
  };
  const clients = options.clients ?? awsReconcileClients;
  let target: TableTarget | undefined;
  try {
    const apiUrl = values['openim-api'];
    if (!apiUrl) throw new ToolError(`--openim-api is required\n${USAGE}`);
    if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) {
      throw new ToolError(
        `--openim-api must be an http:// or https:// URL, such as http://openim.example.com:10002, not "${apiUrl}"`,
      );
    }
    const recheck = {
      seqs: wholeNumber(values['recheck-seqs'], 'recheck-seqs', 100, 0),
      hours: wholeNumber(values['recheck-hours'], 'recheck-hours', 24, 0),
    };
    const secret = await openImSecret(env, values.stack, clients(values.region));
    target = await resolveTableTarget(values, { env, clients, context });
    if (!target.seqTableName) {
      throw new ToolError('a reconcile needs the seqs table too. Fix: add --seq-table NAME');
    }
    const json = wantsJson(values.json, stdout);
    const dryRun = values['dry-run'] === true;
    const api = new OpenImApi({
      baseUrl: apiUrl,
      secret,
      ...(values['admin-user'] ? { adminUserID: values['admin-user'] } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const tables = { messages: target.tableName, seqs: target.seqTableName };
    stderr.write(
      `Reconciling ${target.where} (${tables.messages}, ${tables.seqs}) with OpenIM at ` +
        `${api.baseUrl}${dryRun ? ', dry run' : ''}\n`,
    );
    const progress = progressReporter(stderr, !json && stderr.isTTY === true);
    const summary = await reconcile({
      api,
      store: createDynamoArchiveStore({ client: target.client, tables }),
      client: target.client,
      tables,
      conversations: values.conversation,
      dryRun,
      recheck,
      onProgress: (p) => progress.update(p),
    });
    progress.finish();
    if (json) {
      const { problems, failed, ...counts } = summary;
      stdout.write(`${JSON.stringify({ ...counts, dryRun, failed, problems })}\n`);
    } else {
      stdout.write(summaryText(summary, api.baseUrl, dryRun));
    }
    return summary.failed.length > 0 || summary.unrecoverable > 0 || !summary.complete ? 1 : 0;
  } catch (error) {
    const line =
      error instanceof OpenImApiError
        ? error.message
        : ((target && missingTableMessage(error, target)) ?? describeFailure(error, context));
    stderr.write(`\nreconcile: ${line}\n`);
    return 1;
  } finally {
    target?.close();
  }
}

/** The command line, parsed; throws on an unknown option (such as a secret given as a flag). */
function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...TARGET_OPTIONS,
      'openim-api': { type: 'string' },
      'admin-user': { type: 'string' },
      conversation: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      'recheck-seqs': { type: 'string' },
      'recheck-hours': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
