import { describe, expect, it } from 'vitest';
import { readConfig } from '#commons/config.ts';

describe('configuration', () => {
  it('fails loudly without a table name', () => {
    expect(() => readConfig({})).toThrow(/TABLE_NAME/);
  });
  it('rejects a malformed endpoint and retry delay', () => {
    expect(() => readConfig({ TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(
      /DYNAMODB_ENDPOINT/,
    );
    expect(() => readConfig({ TABLE_NAME: 't', RETRY_AFTER_SECONDS: '0' })).toThrow(/RETRY_AFTER_SECONDS/);
  });
  it('reads a valid environment', () => {
    expect(readConfig({ TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toEqual({
      tableName: 't',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      retryAfterSeconds: 1,
      authFailureLimit: 20,
      authFailureWindowSeconds: 60,
      clientCacheSeconds: 5,
    });
  });
  it('reads the client authentication throttle and cache settings, and refuses bad ones', () => {
    const read = (env: Record<string, string>) => readConfig({ TABLE_NAME: 't', ...env });
    expect(
      read({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '2', CLIENT_CACHE_SECONDS: '0' }),
    ).toMatchObject({ authFailureLimit: 3, authFailureWindowSeconds: 2, clientCacheSeconds: 0 });
    expect(() => read({ AUTH_FAILURE_LIMIT: '0' })).toThrow(/AUTH_FAILURE_LIMIT must be an integer/);
    expect(() => read({ AUTH_FAILURE_LIMIT: '2.5' })).toThrow(/AUTH_FAILURE_LIMIT/);
    expect(() => read({ AUTH_FAILURE_WINDOW_SECONDS: 'a minute' })).toThrow(/AUTH_FAILURE_WINDOW_SECONDS/);
    expect(() => read({ CLIENT_CACHE_SECONDS: '-1' })).toThrow(/CLIENT_CACHE_SECONDS/);
    expect(() => read({ CLIENT_CACHE_SECONDS: '301' })).toThrow(/CLIENT_CACHE_SECONDS .* 0 to 300/);
  });

  describe('ISSUER (RFC 8414 2 issuer identifier)', () => {
    const read = (issuer: string) => readConfig({ TABLE_NAME: 't', ISSUER: issuer }).issuer;

    it('is undefined when unset or empty: the request origin is used', () => {
      expect(readConfig({ TABLE_NAME: 't' }).issuer).toBeUndefined();
      expect(read('')).toBeUndefined();
    });
    it('takes an https URL, with or without a path, as written', () => {
      expect(read('https://auth.example.com')).toBe('https://auth.example.com');
      expect(read('https://auth.example.com:8443/tenant')).toBe('https://auth.example.com:8443/tenant');
    });
    it('takes http for localhost and 127.0.0.1 only', () => {
      expect(read('http://localhost:3000')).toBe('http://localhost:3000');
      expect(read('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
      expect(() => read('http://auth.example.com')).toThrow(/ISSUER .*https is required/);
      expect(() => read('http://10.0.0.1:3000')).toThrow(/https is required/);
    });
    it('refuses what is not a URL, or another scheme', () => {
      expect(() => read('auth.example.com')).toThrow(/ISSUER .*not a URL/);
      expect(() => read('ftp://auth.example.com')).toThrow(/https is required/);
    });
    it('refuses a query or a fragment, even an empty one', () => {
      for (const bad of [
        'https://a.example?x=1',
        'https://a.example#top',
        'https://a.example?',
        'https://a.example#',
      ]) {
        expect(() => read(bad), bad).toThrow(/no query or fragment/);
      }
    });
    it('refuses credentials in the URL', () => {
      expect(() => read('https://user:pw@auth.example.com')).toThrow(/no user name or password/);
    });
    it('refuses a trailing slash: the endpoints are the issuer followed by /oauth2/...', () => {
      expect(() => read('https://auth.example.com/')).toThrow(/no trailing slash/);
      expect(() => read('https://auth.example.com/tenant/')).toThrow(/no trailing slash/);
    });
    it('refuses a non-canonical spelling that a client comparing strings would not match', () => {
      expect(() => read('https://Auth.Example.com')).toThrow(/write it as "https:\/\/auth.example.com"/);
      expect(() => read('https://auth.example.com:443')).toThrow(/write it as "https:\/\/auth.example.com"/);
      expect(() => read('https://auth.example.com/a/../b')).toThrow(/write it as/);
    });
  });
});
