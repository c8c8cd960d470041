/**
 * The deployment's settings: CDK context keys with documented defaults, read and checked before
 * anything is built, so a wrong value stops `cdk synth` with a message that names the fix.
 *
 * Set them with `-c key=value` on the command line (values arrive as strings) or under `context` in
 * `cdk.json` (values may be JSON numbers, and lists JSON arrays).
 */
import type { Node } from 'constructs';
import * as v from 'valibot';
import { normalizeCidr, splitEntries } from '../lambda/source-allowlist.ts';

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
  /** An existing SNS topic that gets the stack's alarms too; `undefined` for none. */
  readonly alarmTopicArn: string | undefined;
  /** OpenIM's API, for a scheduled reconcile; `undefined` adds no reconcile. */
  readonly openimApiUrl: string | undefined;
  /** When the reconcile runs: an EventBridge `rate(…)` or `cron(…)` expression. */
  readonly reconcileSchedule: string;
  /** An existing secret with OpenIM's secret; `undefined` creates an empty one to fill in. */
  readonly openimSecretArn: string | undefined;
  /** The OpenIM admin user the reconcile asks for its token. */
  readonly openimAdminUser: string;
}

/** The settings a deployment gets when it sets no context. */
export const DEFAULT_SETTINGS: DeploymentSettings = {
  stackName: 'OpenImCallbackReceiver',
  logRetentionDays: 30,
  // A throttled callback is a lost message (OpenIM never retries), while a refused flood only
  // costs money, so the stage admits many OpenIM instances at full speed (each sends at most 2 ÷
  // latency callbacks a second through its 2 workers). It still stops one URL from using the
  // account's whole API Gateway quota, shared by every HTTP API in the region. The trade-off, in
  // figures, is in docs/deployment.md, Settings.
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 2000,
  tableRemovalPolicy: 'retain',
  ttlDays: undefined,
  logLevel: 'INFO',
  allowedSourceCidrs: undefined,
  alarmEmail: undefined,
  alarmTopicArn: undefined,
  openimApiUrl: undefined,
  reconcileSchedule: 'rate(1 hour)',
  openimSecretArn: undefined,
  openimAdminUser: 'imAdmin',
};

/** The context keys, one per setting. */
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof DeploymentSettings)[];

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

/**
 * A standard SNS topic's ARN, in any partition. FIFO topics (`.fifo`) are refused: a publish to one
 * must carry a message group ID, and an alarm action carries none.
 */
const SNS_TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:[\w-]{1,256}$/;

/** An http(s) URL with a host and nothing after the path: OpenIM's API base. */
const API_URL = /^https?:\/\/[^\s/?#@]+(?::\d{1,5})?(?:\/[^\s?#]*)?$/;

/** EventBridge's schedule expressions: `rate(1 hour)`, `rate(15 minutes)`, `cron(0 * * * ? *)`. */
const SCHEDULE = /^(?:rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;

/** A Secrets Manager secret's complete ARN, in any partition (with its 6-character suffix). */
const SECRET_ARN =
  /^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;

/** Thrown when context holds a value the deployment cannot use; the message lists every fix. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** A context value as text, or `undefined` when it is unset or empty (so the default applies). */
function contextText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const result = String(value).trim();
  return result === '' ? undefined : result;
}

/** Digits only, so `1e3` or `0x10` is refused, not silently read as 1000 or 16. */
function isWholeNumber(text: string, min: number): boolean {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) >= min;
}

/**
 * A setting given as one value. Unset or empty, it takes its default; otherwise its text must pass
 * `isValid`, or the problem reads `Context "<key>" is "<text>"` and then `problem`, which names
 * the fix. One check per setting, so the user reads one fix per setting.
 */
function setting<K extends keyof DeploymentSettings>(
  key: K,
  isValid: (text: string) => boolean,
  parse: (text: string) => DeploymentSettings[K],
  problem: string,
) {
  return v.pipe(
    v.unknown(),
    v.transform(contextText),
    v.optional(
      v.pipe(
        v.string(),
        v.check(isValid, ({ input }) => `Context "${key}" is "${input}"${problem}`),
        v.transform(parse),
      ),
    ),
    v.transform((value) => value ?? DEFAULT_SETTINGS[key]),
  );
}

/**
 * The entries of a list setting: a JSON array (from `cdk.json`, or as text from `-c`) or
 * comma-separated text; `undefined` when unset or empty.
 */
const listEntries = v.rawTransform<unknown, string[] | undefined>(
  ({ dataset, addIssue, NEVER }) => {
    let items: unknown = dataset.value;
    if (typeof items === 'string' && items.trim().startsWith('[')) {
      try {
        items = JSON.parse(items);
      } catch {
        addIssue({
          message:
            'Context "allowedSourceCidrs" cannot be read: it starts with "[" but is not a JSON ' +
            'array. Fix: -c allowedSourceCidrs=203.0.113.0/24,2001:db8::/32 or a JSON array in ' +
            'cdk.json',
        });
        return NEVER;
      }
    }
    const entries = Array.isArray(items)
      ? items.map((item) => String(item).trim()).filter(Boolean)
      : splitEntries(contextText(items) ?? '');
    return entries.length > 0 ? entries : undefined;
  },
);

/** The entries that are not addresses or CIDRs, quoted for a message. */
function notCidrs(entries: readonly string[]): string {
  return entries
    .filter((entry) => normalizeCidr(entry) === undefined)
    .map((entry) => `"${entry}"`)
    .join(', ');
}

/** Every setting, by its context key; other context (feature flags, CDK's own) passes by. */
const SETTINGS_SCHEMA = v.pipe(
  v.looseObject({
    stackName: setting(
      'stackName',
      (text) => STACK_NAME.test(text),
      String,
      ', but a stack name starts with a letter and has only letters, digits and hyphens (at ' +
        'most 128). Fix: -c stackName=OpenImCallbackReceiver-staging',
    ),
    logRetentionDays: setting(
      'logRetentionDays',
      (text) => isWholeNumber(text, 1) && (LOG_RETENTION_DAYS as readonly number[]).includes(+text),
      Number,
      ', which CloudWatch Logs does not offer. ' +
        `Fix: -c logRetentionDays=<one of ${LOG_RETENTION_DAYS.join(', ')}>`,
    ),
    throttlingRateLimit: setting(
      'throttlingRateLimit',
      (text) => Number.isFinite(Number(text)) && Number(text) > 0,
      Number,
      ', but it must be a number of requests per second above 0. ' +
        'Fix: -c throttlingRateLimit=1000',
    ),
    throttlingBurstLimit: setting(
      'throttlingBurstLimit',
      (text) => isWholeNumber(text, 1),
      Number,
      ', but it must be a whole number of requests of at least 1. ' +
        'Fix: -c throttlingBurstLimit=2000',
    ),
    tableRemovalPolicy: setting(
      'tableRemovalPolicy',
      (text) => (TABLE_REMOVAL_POLICIES as readonly string[]).includes(text),
      (text) => text as TableRemovalPolicy,
      '. Fix: -c tableRemovalPolicy=retain (keep the table and its records when the stack is ' +
        'deleted) or -c tableRemovalPolicy=destroy',
    ),
    ttlDays: setting(
      'ttlDays',
      (text) => isWholeNumber(text, 1),
      Number,
      ', but it must be a whole number of days of at least 1. ' +
        'Fix: -c ttlDays=90, or leave it unset to keep records forever',
    ),
    logLevel: setting(
      'logLevel',
      (text) => (LOG_LEVELS as readonly string[]).includes(text.toUpperCase()),
      (text) => text.toUpperCase() as LogLevel,
      `. Fix: -c logLevel=<one of ${LOG_LEVELS.join(', ')}>`,
    ),
    allowedSourceCidrs: v.pipe(
      v.unknown(),
      listEntries,
      v.optional(
        v.pipe(
          v.array(v.string()),
          v.check(
            (entries) => notCidrs(entries) === '',
            ({ input }) =>
              'Context "allowedSourceCidrs" has entries that are not IPv4 or IPv6 addresses or ' +
              `CIDRs: ${notCidrs(input)}. Fix: -c allowedSourceCidrs=203.0.113.0/24,2001:db8::/32 ` +
              '(comma-separated), or leave it unset to accept any source that has the credentials',
          ),
          v.transform((entries) => [...new Set(entries.map((e) => normalizeCidr(e) as string))]),
          v.check(
            (cidrs) => cidrs.join(',').length <= MAX_ALLOWLIST_CHARS,
            ({ input }) =>
              `Context "allowedSourceCidrs" has ${input.length} entries, more than fit in the ` +
              "function's environment (4 KB in all). Fix: merge them into fewer, wider CIDRs",
          ),
        ),
      ),
      v.transform((cidrs) => cidrs ?? DEFAULT_SETTINGS.allowedSourceCidrs),
    ),
    alarmEmail: setting(
      'alarmEmail',
      (text) => EMAIL.test(text),
      String,
      ', which is not one e-mail address. ' +
        'Fix: -c alarmEmail=ops@example.com, or leave it unset for no e-mail',
    ),
    alarmTopicArn: setting(
      'alarmTopicArn',
      (text) => SNS_TOPIC_ARN.test(text),
      String,
      ', which is not the ARN of a standard SNS topic. ' +
        'Fix: -c alarmTopicArn=arn:aws:sns:eu-west-1:123456789012:ops-alarms (a topic in the ' +
        "stack's region that lets CloudWatch publish), or leave it unset",
    ),
    openimApiUrl: setting(
      'openimApiUrl',
      (text) => API_URL.test(text),
      (text) => text.replace(/\/+$/, ''),
      ", which is not the URL of OpenIM's API. Fix: -c openimApiUrl=https://openim.example.com:10002 " +
        '(no user name or password in it: the secret goes into Secrets Manager), or leave it ' +
        'unset for no scheduled reconcile',
    ),
    reconcileSchedule: setting(
      'reconcileSchedule',
      (text) => SCHEDULE.test(text) && text !== 'rate(1 minute)',
      String,
      ', which is not an EventBridge schedule of at least 2 minutes. ' +
        "Fix: -c reconcileSchedule='rate(1 hour)' or -c reconcileSchedule='cron(0 3 * * ? *)'",
    ),
    openimSecretArn: setting(
      'openimSecretArn',
      (text) => SECRET_ARN.test(text),
      String,
      ', which is not the complete ARN of a Secrets Manager secret (with its 6-character ' +
        'suffix). Fix: -c openimSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:openim-AbCdEf, ' +
        'or leave it unset to create an empty one',
    ),
    openimAdminUser: setting(
      'openimAdminUser',
      (text) => text.length <= 512 && !/\s/.test(text),
      String,
      ', which is not a user ID. Fix: -c openimAdminUser=imAdmin (one of the admin user IDs in ' +
        "OpenIM's config/share.yml)",
    ),
  } satisfies { [K in keyof DeploymentSettings]: v.GenericSchema<unknown, DeploymentSettings[K]> }),
  // A misspelt key would otherwise be ignored and deploy the default without a word.
  v.rawCheck(({ dataset, addIssue }) => {
    for (const key of Object.keys(dataset.value as object)) {
      const match = SETTING_KEYS.find((k) => k.toLowerCase() === key.toLowerCase() && k !== key);
      if (match) addIssue({ message: `Unknown context key "${key}". Fix: spell it "${match}".` });
    }
  }),
  // looseObject kept the rest of the context for the check above; the settings go on alone.
  v.transform(
    (context): DeploymentSettings => ({
      stackName: context.stackName,
      logRetentionDays: context.logRetentionDays,
      throttlingRateLimit: context.throttlingRateLimit,
      throttlingBurstLimit: context.throttlingBurstLimit,
      tableRemovalPolicy: context.tableRemovalPolicy,
      ttlDays: context.ttlDays,
      logLevel: context.logLevel,
      allowedSourceCidrs: context.allowedSourceCidrs,
      alarmEmail: context.alarmEmail,
      alarmTopicArn: context.alarmTopicArn,
      openimApiUrl: context.openimApiUrl,
      reconcileSchedule: context.reconcileSchedule,
      openimSecretArn: context.openimSecretArn,
      openimAdminUser: context.openimAdminUser,
    }),
  ),
  v.check(
    (settings) => settings.openimApiUrl !== undefined || settings.openimSecretArn === undefined,
    'Context "openimSecretArn" is set but "openimApiUrl" is not, so no reconcile would read it. ' +
      'Fix: -c openimApiUrl=https://openim.example.com:10002 too, or leave openimSecretArn unset',
  ),
);

/** Reads and checks the deployment settings from the context of `node` (usually the app's). */
export function readSettings(node: Node): DeploymentSettings {
  // An object schema calls a missing key a problem, so an unset setting comes as `undefined`.
  const context = {
    ...Object.fromEntries(SETTING_KEYS.map((key) => [key, undefined])),
    ...(node.getAllContext() as Record<string, unknown>),
  };
  const result = v.safeParse(SETTINGS_SCHEMA, context);
  if (!result.success) {
    const problems = result.issues.map((issue) => `  - ${issue.message}`);
    throw new SettingsError(`The deployment settings are invalid:\n${problems.join('\n')}`);
  }
  return result.output;
}
