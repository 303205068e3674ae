/**
 * The little of node-oidc-provider's API the tests use (the package ships no types; `@types/oidc-provider`
 * would be one more dependency for two calls).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
