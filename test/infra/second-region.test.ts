/**
 * The same stack, deployed by name to a second region of the same account: every resource whose
 * name is global to the account (a dashboard, an IAM role) must get a different name there, or
 * none at all so CloudFormation generates one. Names that are unique per region only (alarms,
 * tables, queues, log groups) may repeat.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiverStack } from '../../infra/receiver-stack.ts';
import {
  CDK_JSON_CONTEXT,
  removeOutdirs,
  SKIP_BUNDLING,
  tempDir,
  templateFor,
} from './synth-app.ts';

/** Resource types whose names are unique per account (or worldwide), and their name property. */
const ACCOUNT_GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::S3::Bucket': 'BucketName',
};

/**
 * Resource types whose names only need to be unique in their region (or in their parent, as an
 * inline IAM policy in its role). A type in neither list fails the test until someone decides.
 */
const REGIONAL_TYPES = new Set([
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::CloudWatch::Alarm',
  'AWS::DynamoDB::Table',
  'AWS::IAM::Policy',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
  'AWS::Logs::MetricFilter',
  'AWS::SecretsManager::Secret',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'CDK::Metadata',
]);

/** A CloudFormation resource as it appears in the template. */
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * A name as CloudFormation would resolve it in `region`; `undefined` when CloudFormation generates
 * it (no name, or one built from another resource's generated name).
 */
function resolvedName(value: unknown, region: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  const intrinsic = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (intrinsic.Ref === 'AWS::Region') return region;
  if (intrinsic.Ref === 'AWS::AccountId') return '123456789012';
  if (intrinsic['Fn::Join'] !== undefined) {
    const [separator, parts] = intrinsic['Fn::Join'];
    const resolved = parts.map((part) => resolvedName(part, region));
    return resolved.includes(undefined) ? undefined : resolved.join(separator);
  }
  return undefined;
}

/** The account-global names of a template, by logical ID, as resolved in `region`. */
function accountGlobalNames(template: Template, region: string): Record<string, string> {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const names: Record<string, string> = {};
  for (const [id, { Type, Properties = {} }] of Object.entries(resources)) {
    const property = ACCOUNT_GLOBAL_NAMES[Type];
    if (property === undefined) continue;
    const name = resolvedName(Properties[property], region);
    if (name !== undefined) names[id] = name;
  }
  return names;
}

/** Every resource type of the template. */
function resourceTypes(template: Template): string[] {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return [...new Set(Object.values(resources).map(({ Type }) => Type))].sort();
}

/** The receiver stack synthesized for one account and region, as CDK does with `env`. */
function templateForRegion(region: string): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING }, outdir: tempDir() });
  const stack = new ReceiverStack(app, 'OpenImCallbackReceiver', {
    env: { account: '123456789012', region },
  });
  return Template.fromStack(stack);
}

/** Context that adds every optional resource: the alarm topic and its subscription. */
const EVERYTHING = { alarmEmail: 'ops@example.com' };

const SLOW = 60_000;
afterAll(removeOutdirs);

describe('the stack in a second region of the same account', () => {
  it(
    'knows for each of its resource types whether the name is global to the account',
    () => {
      // GIVEN
      const template = templateFor(EVERYTHING);

      // WHEN
      const unclassified = resourceTypes(template).filter(
        (type) => !REGIONAL_TYPES.has(type) && ACCOUNT_GLOBAL_NAMES[type] === undefined,
      );

      // THEN
      expect(unclassified).toEqual([]);
    },
    SLOW,
  );

  it(
    'gets account-global names that differ from the first region, or none',
    () => {
      // GIVEN: the template `cdk deploy` sends to any region (no env in the app)
      const template = templateFor(EVERYTHING);

      // WHEN
      const first = accountGlobalNames(template, 'eu-west-1');
      const second = accountGlobalNames(template, 'us-east-1');

      // THEN
      expect(Object.keys(first)).toEqual(Object.keys(second));
      for (const [id, name] of Object.entries(first)) expect(second[id], id).not.toBe(name);
      expect(Object.values(first)).toContain('OpenImCallbackReceiver-eu-west-1');
    },
    SLOW,
  );

  it(
    'gets account-global names that differ when synthesized for each region',
    () => {
      // GIVEN
      const first = templateForRegion('eu-west-1');
      const second = templateForRegion('ap-southeast-2');

      // WHEN
      const firstNames = Object.values(accountGlobalNames(first, 'eu-west-1'));
      const secondNames = Object.values(accountGlobalNames(second, 'ap-southeast-2'));

      // THEN
      expect(firstNames).toHaveLength(secondNames.length);
      for (const name of firstNames) expect(secondNames).not.toContain(name);
      expect(firstNames).toEqual(['OpenImCallbackReceiver-eu-west-1']);
    },
    SLOW,
  );
});
