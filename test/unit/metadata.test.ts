import { describe, expect, it } from 'vitest';
import { authorizationServerMetadata, requestIssuer } from '#commons/metadata.ts';

describe('authorizationServerMetadata (RFC 8414 2)', () => {
  it('builds every endpoint from the issuer and lists the supported grants and client authentications', () => {
    expect(authorizationServerMetadata('https://auth.example.com')).toEqual({
      issuer: 'https://auth.example.com',
      token_endpoint: 'https://auth.example.com/oauth2/token',
      revocation_endpoint: 'https://auth.example.com/oauth2/revoke',
      introspection_endpoint: 'https://auth.example.com/oauth2/introspect',
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
    });
  });
  it('keeps an issuer path in front of the endpoint paths', () => {
    expect(authorizationServerMetadata('https://api.example.com/auth').token_endpoint).toBe(
      'https://api.example.com/auth/oauth2/token',
    );
  });
  it('leaves scopes_supported out (scopes are per client) and offers no introspection to public clients', () => {
    const metadata = authorizationServerMetadata('https://auth.example.com');
    expect(metadata).not.toHaveProperty('scopes_supported');
    expect(metadata.introspection_endpoint_auth_methods_supported).not.toContain('none');
  });
  it('returns fresh lists, so a caller cannot change the next document', () => {
    const first = authorizationServerMetadata('https://a.example');
    (first.token_endpoint_auth_methods_supported as string[]).push('private_key_jwt');
    expect(
      authorizationServerMetadata('https://a.example').token_endpoint_auth_methods_supported,
    ).toHaveLength(3);
  });
});

describe('requestIssuer (the default issuer: the origin the caller reached)', () => {
  it('is https on the API domain, with or without X-Forwarded-Proto', () => {
    const domain = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
    expect(requestIssuer(domain, 'https')).toBe(`https://${domain}`);
    expect(requestIssuer(domain, undefined)).toBe(`https://${domain}`);
  });
  it('believes plain http for loopback hosts only', () => {
    expect(requestIssuer('localhost:3000', 'http')).toBe('http://localhost:3000');
    expect(requestIssuer('127.0.0.1:3000', 'HTTP')).toBe('http://127.0.0.1:3000');
    expect(requestIssuer('auth.example.com', 'http')).toBe('https://auth.example.com');
  });
  it('reads the first value of a forwarded list', () => {
    expect(requestIssuer('localhost:3000', 'http, https')).toBe('http://localhost:3000');
  });
  it('gives a canonical origin: lower-case host, no default port, no trailing slash', () => {
    expect(requestIssuer('Auth.Example.COM:443', 'https')).toBe('https://auth.example.com');
    expect(requestIssuer('localhost:80', 'http')).toBe('http://localhost');
    expect(requestIssuer('[::1]:3000', 'https')).toBe('https://[::1]:3000');
  });
  it('refuses a host that is not a bare host[:port]', () => {
    for (const bad of [
      '',
      'evil.example/path',
      'user@host',
      'host:port',
      'a b',
      'host:99999',
      'host?x',
      '-host',
    ]) {
      expect(requestIssuer(bad, 'https'), bad).toBeUndefined();
    }
  });
});
