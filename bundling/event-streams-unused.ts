/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (esbuild alias in `BUNDLING`,
 * bundling/options.ts). Its only importer there is the SDK's `HttpProtocol`, through a dynamic
 * `import()` when an operation sends or receives an event stream (Bedrock, Transcribe, S3 Select, ...).
 * DynamoDB has no event-stream operation (no structure of its model has a streaming member:
 * test/unit/bundling-stubs.test.ts), so the ~19 KiB of message codec, marshallers and their checksums
 * would never run. Fails loudly if that ever changes.
 */
function notBundled(): never {
  throw new Error('@smithy/core/event-streams is not bundled: DynamoDB operations have no event streams');
}

/** `HttpProtocol.loadEventStreamCapability` asks for this first. */
export const eventStreamSerdeProvider = notBundled;

/** Never constructed: its provider above throws first. */
export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}
