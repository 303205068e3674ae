import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TokenRevocationStack } from '#lib/stack.ts';

const app = new App();
new TokenRevocationStack(app, 'TokenRevocation', {
  // Environment-agnostic unless the CLI or the caller names one: synth needs no credentials or lookups.
  env: {
    account: process.env.CDK_DEPLOY_ACCOUNT ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEPLOY_REGION ?? process.env.CDK_DEFAULT_REGION,
  },
});
// Acknowledgements are also written into the template (Metadata.cdk_nag), so the reasons travel with it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
app.synth();
