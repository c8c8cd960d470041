/**
 * The one reader of a deployed stack's outputs (names in `infra/stack-outputs.ts`), for every tool
 * that takes `--stack`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  errorName,
  explainFailure,
  type FailureContext,
  StackNotFoundError,
  ToolError,
} from './tool-failure.ts';

/** A client for `region`, or for the SDK's default one. */
export function cloudFormationClient(region: string | undefined): CloudFormationClient {
  return new CloudFormationClient(region ? { region } : {});
}

/**
 * A deployed stack's outputs, by name. Failures are {@link ToolError}s that say what to do: an
 * unknown stack a {@link StackNotFoundError} naming where it looked, an SDK failure explained with
 * `context` (the permissions the tool needs).
 */
export async function readStackOutputs(
  client: CloudFormationClient,
  stackName: string,
  context: FailureContext = {},
): Promise<Record<string, string>> {
  const region = await client.config.region().catch(() => undefined);
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries(
      (Stacks[0]?.Outputs ?? []).flatMap(({ OutputKey, OutputValue }) =>
        OutputKey && OutputValue ? [[OutputKey, OutputValue]] : [],
      ),
    );
  } catch (error) {
    if (errorName(error) === 'ValidationError' && /does not exist/i.test(String(error))) {
      throw new StackNotFoundError(
        `Stack "${stackName}" was not found${region ? ` in ${region}` : ''}. Fix: --stack NAME ` +
          '(the stackName you deployed with) and --region (or AWS_REGION) where you deployed it.',
      );
    }
    throw new ToolError(
      explainFailure(error, { region, ...context, localEngine: false }) ??
        `Could not read stack "${stackName}": ${error}`,
    );
  }
}

/** The values of the named outputs, in order; a {@link ToolError} names any that are missing. */
export function requiredOutputs(
  outputs: Readonly<Record<string, string>>,
  names: readonly string[],
  stackName: string,
): string[] {
  const missing = names.filter((name) => !outputs[name]);
  if (missing.length > 0) {
    throw new ToolError(
      `Stack "${stackName}" has no output ${missing.join(' or ')}. Is it this receiver, deployed ` +
        'from this version? Fix: npx cdk deploy (with the same -c stackName=…), then run this again.',
    );
  }
  return names.map((name) => outputs[name] as string);
}
