/**
 * The deployment's settings: CDK context keys with documented defaults, read and checked before
 * anything is built, so a wrong value stops `cdk synth` with a message that names the fix.
 *
 * Set them with `-c key=value` on the command line (values arrive as strings) or under `context` in
 * `cdk.json` (values may be JSON numbers, and lists JSON arrays).
 */
import type { Node } from 'constructs';
import { normalizeCidr } from '../lambda/source-allowlist.ts';

/** How the messages table is treated when the stack is deleted. */
export type TableRemovalPolicy = 'retain' | 'destroy';

/** Powertools log levels the function accepts in `POWERTOOLS_LOG_LEVEL`. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';

/** Everything a deployment can choose, after validation. */
export interface DeploymentSettings {
  /** CloudFormation stack name; one stack per deployment, so several fit one account and region. */
  readonly stackName: string;
  /** Days CloudWatch keeps the function's logs and the API's access logs. */
  readonly logRetentionDays: number;
  /** Steady-state requests per second the API's `$default` stage accepts. */
  readonly throttlingRateLimit: number;
  /** Requests the API's `$default` stage accepts in a burst above the rate. */
  readonly throttlingBurstLimit: number;
  /** `retain` keeps the table (with deletion protection) when the stack goes; `destroy` deletes it. */
  readonly tableRemovalPolicy: TableRemovalPolicy;
  /** Days to keep each record before DynamoDB's TTL deletes it; `undefined` keeps records forever. */
  readonly ttlDays: number | undefined;
  /** The function's Powertools log level. */
  readonly logLevel: LogLevel;
  /** Source CIDRs allowed to post callbacks; `undefined` lets any address try its credentials. */
  readonly allowedSourceCidrs: readonly string[] | undefined;
  /** Where the stack's alarms are e-mailed; `undefined` creates no topic. */
  readonly alarmEmail: string | undefined;
}

/** The context keys, by setting. */
export const CONTEXT_KEYS = {
  stackName: 'stackName',
  logRetentionDays: 'logRetentionDays',
  throttlingRateLimit: 'throttlingRateLimit',
  throttlingBurstLimit: 'throttlingBurstLimit',
  tableRemovalPolicy: 'tableRemovalPolicy',
  ttlDays: 'ttlDays',
  logLevel: 'logLevel',
  allowedSourceCidrs: 'allowedSourceCidrs',
  alarmEmail: 'alarmEmail',
} as const satisfies Record<keyof DeploymentSettings, string>;

/** The settings a deployment gets when it sets no context. */
export const DEFAULT_SETTINGS: DeploymentSettings = {
  stackName: 'OpenImCallbackReceiver',
  logRetentionDays: 30,
  // OpenIM sends at most about 2 ÷ latency callbacks per second per instance (2 workers); 50 ms
  // answers give 40/s each. The throttle only caps abuse of the public URL, so keep it well above.
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
  tableRemovalPolicy: 'retain',
  ttlDays: undefined,
  logLevel: 'INFO',
  allowedSourceCidrs: undefined,
  alarmEmail: undefined,
};

/** Retention periods CloudWatch Logs accepts, in days (never "forever": every log group expires). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const TABLE_REMOVAL_POLICIES: readonly TableRemovalPolicy[] = ['retain', 'destroy'];
const LOG_LEVELS: readonly LogLevel[] = [
  'TRACE',
  'DEBUG',
  'INFO',
  'WARN',
  'ERROR',
  'CRITICAL',
  'SILENT',
];

/** CloudFormation's rule for stack names. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** How long `ALLOWED_SOURCE_CIDRS` may get: Lambda allows 4 KB for all variables together. */
const MAX_ALLOWLIST_CHARS = 2048;

/** One address, no spaces, a dot in the domain: enough to catch a typo, as SNS checks the rest. */
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;.]+$/;

/** Thrown when context holds a value the deployment cannot use; the message lists every fix. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** A context value as text, or `undefined` when it is unset or empty. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const result = String(value).trim();
  return result === '' ? undefined : result;
}

/** A whole number from a context value, or `undefined` if it is not one. */
function wholeNumber(value: string): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const result = Number(value);
  return Number.isSafeInteger(result) ? result : undefined;
}

/**
 * The entries of a list setting: a JSON array (from `cdk.json`, or as text from `-c`) or
 * comma-separated text. `undefined` when unset or empty; `{ problem }` when it cannot be read.
 */
function listEntries(value: unknown): string[] | undefined | { readonly problem: string } {
  let items: unknown = value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      items = JSON.parse(value);
    } catch {
      return { problem: 'it starts with "[" but is not a JSON array' };
    }
  }
  const entries = (Array.isArray(items) ? items.map(String) : (text(items) ?? '').split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.length > 0 ? entries : undefined;
}

/** Reads and checks the deployment settings from the context of `node` (usually the app's). */
export function readSettings(node: Node): DeploymentSettings {
  const problems: string[] = [];
  const raw = (key: keyof DeploymentSettings): string | undefined =>
    text(node.tryGetContext(CONTEXT_KEYS[key]));

  // A misspelt key would otherwise be ignored and deploy the default without a word.
  const known = Object.values(CONTEXT_KEYS) as string[];
  for (const key of Object.keys(node.getAllContext() as Record<string, unknown>)) {
    const match = known.find((k) => k.toLowerCase() === key.toLowerCase() && k !== key);
    if (match) problems.push(`Unknown context key "${key}". Fix: spell it "${match}".`);
  }

  const stackName = raw('stackName') ?? DEFAULT_SETTINGS.stackName;
  if (!STACK_NAME.test(stackName)) {
    problems.push(
      `Context "stackName" is "${stackName}", but a stack name starts with a letter and has only ` +
        'letters, digits and hyphens (at most 128). Fix: -c stackName=OpenImCallbackReceiver-staging',
    );
  }

  let logRetentionDays = DEFAULT_SETTINGS.logRetentionDays;
  const retention = raw('logRetentionDays');
  if (retention !== undefined) {
    const days = wholeNumber(retention);
    if (days !== undefined && (LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
      logRetentionDays = days;
    } else {
      problems.push(
        `Context "logRetentionDays" is "${retention}", which CloudWatch Logs does not offer. ` +
          `Fix: -c logRetentionDays=<one of ${LOG_RETENTION_DAYS.join(', ')}>`,
      );
    }
  }

  let throttlingRateLimit = DEFAULT_SETTINGS.throttlingRateLimit;
  const rate = raw('throttlingRateLimit');
  if (rate !== undefined) {
    const value = Number(rate);
    if (Number.isFinite(value) && value > 0) {
      throttlingRateLimit = value;
    } else {
      problems.push(
        `Context "throttlingRateLimit" is "${rate}", but it must be a number of requests per ` +
          'second above 0. Fix: -c throttlingRateLimit=100',
      );
    }
  }

  let throttlingBurstLimit = DEFAULT_SETTINGS.throttlingBurstLimit;
  const burst = raw('throttlingBurstLimit');
  if (burst !== undefined) {
    const value = wholeNumber(burst);
    if (value !== undefined && value >= 1) {
      throttlingBurstLimit = value;
    } else {
      problems.push(
        `Context "throttlingBurstLimit" is "${burst}", but it must be a whole number of requests ` +
          'of at least 1. Fix: -c throttlingBurstLimit=200',
      );
    }
  }

  let tableRemovalPolicy = DEFAULT_SETTINGS.tableRemovalPolicy;
  const removal = raw('tableRemovalPolicy');
  if (removal !== undefined) {
    const value = TABLE_REMOVAL_POLICIES.find((p) => p === removal);
    if (value) {
      tableRemovalPolicy = value;
    } else {
      problems.push(
        `Context "tableRemovalPolicy" is "${removal}". Fix: -c tableRemovalPolicy=retain (keep ` +
          'the table and its records when the stack is deleted) or -c tableRemovalPolicy=destroy',
      );
    }
  }

  let ttlDays = DEFAULT_SETTINGS.ttlDays;
  const ttl = raw('ttlDays');
  if (ttl !== undefined) {
    const days = wholeNumber(ttl);
    if (days !== undefined && days >= 1) {
      ttlDays = days;
    } else {
      problems.push(
        `Context "ttlDays" is "${ttl}", but it must be a whole number of days of at least 1. ` +
          'Fix: -c ttlDays=90, or leave it unset to keep records forever',
      );
    }
  }

  let logLevel = DEFAULT_SETTINGS.logLevel;
  const level = raw('logLevel');
  if (level !== undefined) {
    const value = LOG_LEVELS.find((l) => l === level.toUpperCase());
    if (value) {
      logLevel = value;
    } else {
      problems.push(
        `Context "logLevel" is "${level}". Fix: -c logLevel=<one of ${LOG_LEVELS.join(', ')}>`,
      );
    }
  }

  let allowedSourceCidrs = DEFAULT_SETTINGS.allowedSourceCidrs;
  const cidrs = listEntries(node.tryGetContext(CONTEXT_KEYS.allowedSourceCidrs));
  if (cidrs !== undefined && 'problem' in cidrs) {
    problems.push(
      `Context "allowedSourceCidrs" cannot be read: ${cidrs.problem}. ` +
        'Fix: -c allowedSourceCidrs=203.0.113.0/24,2001:db8::/32 or a JSON array in cdk.json',
    );
  } else if (cidrs !== undefined) {
    const normalized = cidrs.map((entry) => ({ entry, cidr: normalizeCidr(entry) }));
    const bad = normalized.filter(({ cidr }) => cidr === undefined).map(({ entry }) => entry);
    if (bad.length > 0) {
      problems.push(
        'Context "allowedSourceCidrs" has entries that are not IPv4 or IPv6 addresses or CIDRs: ' +
          `${bad.map((b) => `"${b}"`).join(', ')}. ` +
          'Fix: -c allowedSourceCidrs=203.0.113.0/24,2001:db8::/32 (comma-separated), or leave ' +
          'it unset to accept any source that has the credentials',
      );
    } else {
      const unique = [...new Set(normalized.map(({ cidr }) => cidr as string))];
      if (unique.join(',').length <= MAX_ALLOWLIST_CHARS) {
        allowedSourceCidrs = unique;
      } else {
        problems.push(
          `Context "allowedSourceCidrs" has ${unique.length} entries, more than fit in the ` +
            "function's environment (4 KB in all). Fix: merge them into fewer, wider CIDRs",
        );
      }
    }
  }

  let alarmEmail = DEFAULT_SETTINGS.alarmEmail;
  const email = text(node.tryGetContext(CONTEXT_KEYS.alarmEmail));
  if (email !== undefined) {
    if (EMAIL.test(email)) {
      alarmEmail = email;
    } else {
      problems.push(
        `Context "alarmEmail" is "${email}", which is not one e-mail address. ` +
          'Fix: -c alarmEmail=ops@example.com, or leave it unset for no e-mail',
      );
    }
  }

  if (problems.length > 0) {
    throw new SettingsError(
      `The deployment settings are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return {
    stackName,
    logRetentionDays,
    throttlingRateLimit,
    throttlingBurstLimit,
    tableRemovalPolicy,
    ttlDays,
    logLevel,
    allowedSourceCidrs,
    alarmEmail,
  };
}
