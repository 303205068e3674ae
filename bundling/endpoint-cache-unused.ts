/**
 * Stands in for `@aws-sdk/endpoint-cache` in the Lambda bundles (esbuild alias in `BUNDLING`,
 * bundling/options.ts). The DynamoDB client builds an `EndpointCache` for endpoint discovery when it is
 * created, but none of its commands installs the discovery middleware that reads or writes that cache
 * (their middleware list, `_mw0` in the client's `commandBuilder`, is empty; the guard in
 * test/unit/bundling-stubs.test.ts fails when an SDK update changes that). So the cache is built and never
 * used, and the real one brings an LRU implementation (`mnemonist`, `obliterator`, ~7 KiB) along.
 * Fails loudly if it is ever used.
 */
function notBundled(): never {
  throw new Error('@aws-sdk/endpoint-cache is not bundled: DynamoDB endpoint discovery is not used');
}

/** Constructed by `resolveEndpointDiscoveryConfig`; every use throws. */
export class EndpointCache {
  constructor(readonly capacity: number) {}
  getEndpoint(_key: string): string | undefined {
    return notBundled();
  }
  get(_key: string): never {
    return notBundled();
  }
  set(_key: string, _endpoints: unknown[]): never {
    return notBundled();
  }
  delete(_key: string): never {
    return notBundled();
  }
  has(_key: string): boolean {
    return notBundled();
  }
  clear(): never {
    return notBundled();
  }
}
