/**
 * OpenIM's webhook credentials: a Secrets Manager secret `{"username":"openim","password":…}` whose
 * password Secrets Manager generates at deploy time, so it never appears in the template, the
 * outputs or a log. OpenIM sends it as Basic auth from the userinfo of its `webhooks.yml` url.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The user name OpenIM presents; the password is the secret part. */
export const WEBHOOK_USERNAME = 'openim';

/** Properties of {@link WebhookSecret}. */
export interface WebhookSecretProps {
  /**
   * Length of the generated password. Letters and digits only, so it goes into a URL unescaped.
   * @default 40
   */
  readonly passwordLength?: number;
}

/** The secret that holds the credentials OpenIM must present. */
export class WebhookSecret extends Construct {
  /** The secret. */
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: WebhookSecretProps = {}) {
    super(scope, id);

    this.secret = new Secret(this, 'Secret', {
      description: `${Stack.of(this).stackName}: Basic-auth credentials OpenIM puts in its webhook url`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: WEBHOOK_USERNAME }),
        generateStringKey: 'password',
        // 40 letters and digits are about 238 bits: far beyond guessing, and URL-safe as they are.
        passwordLength: props.passwordLength ?? 40,
        excludePunctuation: true,
        includeSpace: false,
      },
      // The password is of use only to this stack's function; a new deployment generates its own.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "No automatic rotation: the password also lives in OpenIM's config/webhooks.yml, which " +
        'no Lambda can change, so a scheduled rotation would lock OpenIM out. Rotation is manual ' +
        "and loses nothing: put-secret-value, then update OpenIM's url; the receiver accepts " +
        'both the AWSCURRENT and the AWSPREVIOUS version in between. Steps are in docs/security.md.',
    });
  }
}
