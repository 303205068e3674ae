/**
 * Stands in for `semver` in the Lambda bundles (esbuild alias in `BUNDLING`, lib/service-function.ts).
 * Its only importer there is the X-Ray SDK's AWS SDK v2 patcher (`aws-xray-sdk-core` patchers/aws_p.js),
 * which checks the v2 SDK's version when a v2 client is captured; this service has no v2 client and
 * traces its v3 client with `captureAWSv3Client`, so the 28 KiB of semver would never run. Fails loudly
 * if that ever changes.
 */
export function gte(): boolean {
  throw new Error('semver is not bundled: AWS SDK v2 clients cannot be traced in this function');
}
