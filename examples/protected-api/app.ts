import { App, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { TokenAuthorizer } from 'oauth-token-revocation';

export interface ProtectedApiStackProps extends StackProps {
  /**
   * Name of the token revocation service's table (its stack output `TableName`).
   * @default - the `tokenTableName` context value (`cdk deploy -c tokenTableName=...`)
   */
  readonly tokenTableName?: string;
}

/**
 * An API of your own, in a stack of its own: one HTTP API route, `GET /whoami`, protected by the
 * TokenAuthorizer against the service's table imported by name.
 */
export class ProtectedApiStack extends Stack {
  readonly api: apigwv2.HttpApi;
  readonly authorizer: TokenAuthorizer;

  constructor(scope: Construct, id: string, props: ProtectedApiStackProps = {}) {
    super(scope, id, props);
    const tableName = props.tokenTableName ?? this.node.tryGetContext('tokenTableName');
    if (typeof tableName !== 'string' || tableName === '') {
      throw new Error(
        'pass tokenTableName (the service stack output TableName) as a prop or -c tokenTableName=',
      );
    }
    const table = dynamodb.Table.fromTableName(this, 'TokenTable', tableName);
    this.authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', { table });

    const whoami = new nodejs.NodejsFunction(this, 'Whoami', {
      entry: new URL('./whoami/index.ts', import.meta.url).pathname,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: { format: nodejs.OutputFormat.ESM, minify: true, sourceMap: true },
    });
    this.api = new apigwv2.HttpApi(this, 'Api', { description: 'Example API behind the TokenAuthorizer' });
    this.api.addRoutes({
      path: '/whoami',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('WhoamiIntegration', whoami),
      authorizer: this.authorizer.httpApiAuthorizer(),
    });
    new CfnOutput(this, 'WhoamiUrl', { value: `${this.api.apiEndpoint}/whoami` });
  }
}

// `npx cdk deploy --app 'npx tsx examples/protected-api/app.ts' -c tokenTableName=...`; importing the
// module (the tests do) creates nothing.
if (process.argv[1] === new URL(import.meta.url).pathname) {
  const app = new App();
  new ProtectedApiStack(app, 'ProtectedApi', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  app.synth();
}
