/**
 * The CDK app (`cdk.json` runs `node infra/app.ts`): reads and checks the settings from context,
 * builds one {@link ReceiverStack} named after `stackName`, and runs cdk-nag's AWS Solutions checks
 * on the whole app, so any unacknowledged finding fails `cdk synth`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReceiverStack } from './receiver-stack.ts';
import { readSettings, SettingsError } from './settings.ts';

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /**
   * Context to add to the app's own (from `cdk.json` and `-c`), e.g. for tests.
   * @default {} (nothing added)
   */
  readonly context?: Record<string, unknown>;
  /**
   * Where to write the cloud assembly.
   * @default the CLI's output folder (`cdk.out`), or a temporary folder outside the CLI
   */
  readonly outdir?: string;
}

/** Builds the app: settings first, then the stack, then the checks. */
export function createApp({ context = {}, outdir }: CreateAppOptions = {}): App {
  const app = new App({ context, ...(outdir === undefined ? {} : { outdir }) });
  const settings = readSettings(app.node);
  new ReceiverStack(app, settings.stackName, { stackName: settings.stackName, settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (import.meta.main) {
  try {
    createApp().synth();
  } catch (error) {
    // A wrong setting is the user's to fix: show the fixes, not a stack trace.
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
