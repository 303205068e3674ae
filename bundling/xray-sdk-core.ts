/**
 * Stands in for `aws-xray-sdk-core`'s entry (`dist/lib/aws-xray.js`) in the Lambda bundles (esbuild alias
 * in `BUNDLING`, bundling/options.ts). Its only importer there is `@aws-lambda-powertools/tracer`,
 * which takes a fixed list of members from it (test/unit/bundling-stubs.test.ts reads that list from the
 * tracer's source). The X-Ray SDK's entry requires every part of the SDK whether used or not: the AWS SDK
 * v2 patcher (with `semver`), the http/https and promise patchers, the EC2/ECS/Elastic Beanstalk plugins
 * and the SQL helper. This entry requires, from the same files of the same installed package, only what
 * the tracer uses with AWS SDK v3 clients, and runs the same start-up (SDK data, Lambda facade segment).
 * Two parts are ports, because the originals load something large through relative `require`s that no
 * alias reaches: the Lambda start-up (bundling/xray-lambda.ts, without the sampling middleware) and
 * the SDK v3 patcher (bundling/xray-aws3.ts, with the DynamoDB section of the parameter allow-list).
 *
 * What it leaves out throws if called: `captureAWS`/`captureAWSClient` (AWS SDK v2, which this service
 * does not use) and `captureHTTPsGlobal`, which the tracer calls only with `captureHTTPsRequests` on;
 * `functions/commons/observability.ts` turns that off (the only HTTP calls are the DynamoDB client's,
 * which the X-Ray SDK's http patcher skips anyway, as they carry their own trace header).
 *
 * The files are reached by relative path because the alias also rewrites `aws-xray-sdk-core/...`
 * imports; esbuild runs in the project root, where npm installs the package (the tracer's dependency).
 */
// Default imports of the CommonJS files are their `module.exports`, for esbuild and Node alike.
import capture from '../node_modules/aws-xray-sdk-core/dist/lib/capture.js';
import contextUtils from '../node_modules/aws-xray-sdk-core/dist/lib/context_utils.js';
import daemonConfig from '../node_modules/aws-xray-sdk-core/dist/lib/daemon_config.js';
import logging from '../node_modules/aws-xray-sdk-core/dist/lib/logger.js';
import Subsegment from '../node_modules/aws-xray-sdk-core/dist/lib/segments/attributes/subsegment.js';
import Segment from '../node_modules/aws-xray-sdk-core/dist/lib/segments/segment.js';
import segmentUtils from '../node_modules/aws-xray-sdk-core/dist/lib/segments/segment_utils.js';
import { captureAWSClient as captureAWSv3Client } from './xray-aws3.ts';
import * as lambdaEnv from './xray-lambda.ts';

/**
 * The SDK these files are from, for the segments' `aws.xray` data. Written out instead of imported: a JSON
 * import would bring its whole package.json (1.6 KiB); test/unit/bundling-stubs.test.ts checks it against
 * the installed one, which the ports above are pinned to anyway.
 */
export const XRAY_SDK = { name: 'aws-xray-sdk-core', version: '3.12.0' } as const;

/** Fails loudly: the part of the X-Ray SDK that `member` needs is not in this bundle. */
function notBundled(member: string) {
  return () => {
    throw new Error(
      `aws-xray-sdk-core ${member} is not bundled (bundling/xray-sdk-core.ts): only AWS SDK v3 clients ` +
        'are traced, and the tracer must run with captureHTTPsRequests: false',
    );
  };
}

// What aws-xray.js does once its members are loaded: identify the SDK and the runtime in segments, and
// inside Lambda open the facade segment that the function's subsegments hang from.
segmentUtils.setSDKData({
  sdk: 'X-Ray for Node.js',
  sdk_version: XRAY_SDK.version,
  package: XRAY_SDK.name,
});
segmentUtils.setServiceData({
  runtime: process.release?.name ?? 'unknown',
  runtime_version: process.version,
  version: process.env.npm_package_version || 'unknown',
  name: process.env.npm_package_name || 'unknown',
});
if (process.env.LAMBDA_TASK_ROOT) lambdaEnv.init();

/** The members of the X-Ray SDK's namespace object that the Powertools tracer reads. */
const AWSXRay = {
  captureAWS: notBundled('captureAWS'),
  captureAWSClient: notBundled('captureAWSClient'),
  captureAWSv3Client,
  captureAsyncFunc: capture.captureAsyncFunc,
  captureFunc: capture.captureFunc,
  captureHTTPsGlobal: notBundled('captureHTTPsGlobal'),
  getNamespace: contextUtils.getNamespace,
  getSegment: contextUtils.getSegment,
  setSegment: contextUtils.setSegment,
  resolveSegment: contextUtils.resolveSegment,
  setContextMissingStrategy: contextUtils.setContextMissingStrategy,
  setDaemonAddress: daemonConfig.setDaemonAddress,
  setLogger: logging.setLogger,
  getLogger: logging.getLogger,
  Segment,
  Subsegment,
};

export default AWSXRay;
