/**
 * The public HTTPS endpoint OpenIM posts to: an API Gateway HTTP API with one route per callback
 * path, each a Lambda proxy integration (payload v2), on a throttled, access-logged `$default` stage.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CALLBACK_PATHS } from '../lambda/callbacks.ts';
import { DEFAULT_SETTINGS } from './settings.ts';

/**
 * One JSON object per request. Only API Gateway's own facts about the request: no headers, no
 * `authorization`, no query string and no body, since OpenIM's Basic credentials travel in a header
 * and newer OpenIM versions put message metadata in the query string.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

/** Properties of {@link CallbackApi}. */
export interface CallbackApiProps {
  /** The function every route invokes. */
  readonly handler: IFunction;
  /**
   * Steady-state requests per second the stage accepts before answering 429.
   * @default DEFAULT_SETTINGS.throttlingRateLimit (1000)
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the stage accepts in a burst above the steady rate.
   * @default DEFAULT_SETTINGS.throttlingBurstLimit (2000)
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Days the access log group keeps its logs.
   * @default 30
   */
  readonly logRetentionDays?: number;
}

/** The HTTP API that receives OpenIM's callbacks. */
export class CallbackApi extends Construct {
  /** The HTTP API. */
  readonly api: HttpApi;
  /** The `$default` stage, served at the API's base URL. */
  readonly stage: HttpStage;
  /** The stage's access log group. */
  readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: CallbackApiProps) {
    super(scope, id);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays ?? 30,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The default stage of HttpApi takes no throttling or logging options, so it is built here.
    this.api = new HttpApi(this, 'Api', {
      apiName: Stack.of(this).stackName,
      description: "Receives OpenIM's message callbacks",
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? DEFAULT_SETTINGS.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? DEFAULT_SETTINGS.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integration = new HttpLambdaIntegration('Receiver', props.handler, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const path of CALLBACK_PATHS) {
      this.api.addRoutes({ path, methods: [HttpMethod.POST], integration });
    }
  }
}
