import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Forbidden,
  InvalidClient,
  InvalidGrant,
  InvalidInput,
  InvalidRequest,
  InvalidScope,
  NotFound,
  NotTokenOwner,
  StoreUnavailable,
  TooManyFailedAuthentications,
  UnauthorizedClient,
  UnsupportedGrantType,
} from '#commons/domain/errors.ts';
import { errorResponse, MissingBearerCredential } from '#commons/http/errors.ts';

describe('the HTTP edge maps domain errors', () => {
  it('to OAuth JSON on the OAuth routes (RFC 6749 5.2)', () => {
    const cases = [
      [new InvalidRequest('bad'), 400, 'invalid_request'],
      [new InvalidGrant('gone'), 400, 'invalid_grant'],
      [new InvalidScope('wide'), 400, 'invalid_scope'],
      [new UnauthorizedClient('no'), 400, 'unauthorized_client'],
      [new UnsupportedGrantType('what'), 400, 'unsupported_grant_type'],
      [new NotTokenOwner(), 400, 'invalid_request'],
      [new InvalidClient('who'), 401, 'invalid_client'],
    ] as const;
    for (const [error, status, code] of cases) {
      const response = errorResponse(error, 'oauth', 1);
      expect(response.statusCode).toBe(status);
      expect(response.json).toEqual({ error: code, error_description: error.message });
    }
  });

  it('adds the Basic challenge only when the client tried the Authorization header', () => {
    const basic = errorResponse(new InvalidClient('x', 'client_secret_basic'), 'oauth', 1);
    expect(basic.headers['WWW-Authenticate']).toBe('Basic realm="oauth"');
    const post = errorResponse(new InvalidClient('x', 'client_secret_post'), 'oauth', 1);
    expect(post.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('to 429 temporarily_unavailable with the seconds left as Retry-After when authentication is throttled', () => {
    expect(errorResponse(new TooManyFailedAuthentications(42), 'oauth', 1)).toEqual({
      statusCode: 429,
      json: {
        error: 'temporarily_unavailable',
        error_description: 'too many failed client authentications',
      },
      headers: { 'Retry-After': '42' },
    });
  });

  it('to 503 temporarily_unavailable with Retry-After on every profile when the store is unavailable', () => {
    for (const profile of ['oauth', 'bearer', 'admin', 'apigee'] as const) {
      const response = errorResponse(new StoreUnavailable(), profile, 7);
      expect(response).toEqual({
        statusCode: 503,
        json: { error: 'temporarily_unavailable' },
        headers: { 'Retry-After': '7' },
      });
    }
  });

  it('to the bearer rules of RFC 6750 on DELETE /oauth/token', () => {
    expect(errorResponse(new MissingBearerCredential(), 'bearer', 1)).toEqual({
      statusCode: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="oauth"' },
    });
    const malformed = errorResponse(new InvalidRequest('token is malformed'), 'bearer', 1);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['WWW-Authenticate']).toBe('Bearer realm="oauth", error="invalid_request"');
    expect(errorResponse(new NotFound('access_token'), 'bearer', 1)).toMatchObject({
      statusCode: 403,
      json: { error: 'invalid_token', error_description: 'Access Token already invalidated or not found' },
    });
  });

  it("to API Gateway's {message} on the admin API, naming the field", () => {
    expect(errorResponse(new InvalidInput('name', 'is required'), 'admin', 1)).toMatchObject({
      statusCode: 400,
      json: { message: '"name" is required' },
    });
    expect(errorResponse(new InvalidScope('scope not allowed: x'), 'admin', 1).json).toEqual({
      message: '"scope" scope not allowed: x',
    });
    expect(errorResponse(new NotFound('client'), 'admin', 1)).toMatchObject({
      statusCode: 404,
      json: { message: 'client not found' },
    });
    expect(errorResponse(new Forbidden(), 'admin', 1)).toMatchObject({
      statusCode: 403,
      json: { message: 'Forbidden' },
    });
  });

  it("to Apigee Edge's bodies on its token routes", () => {
    expect(errorResponse(new NotFound('refresh_token'), 'apigee', 1)).toMatchObject({
      statusCode: 404,
      json: {
        code: 'keymanagement.service.invalid_account_name',
        message: 'Invalid Refresh Token',
        contexts: [],
      },
    });
  });

  it("keeps the 4xx of other middlewares' exposed errors (statusCode/expose), in the route's format", () => {
    const error = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, expose: true });
    expect(errorResponse(error, 'oauth', 1)).toMatchObject({
      statusCode: 415,
      json: { error: 'invalid_request', error_description: 'Unsupported Media Type' },
    });
    expect(errorResponse(error, 'admin', 1).json).toEqual({ message: 'Unsupported Media Type' });
    const hidden = Object.assign(new Error('secret detail'), { statusCode: 400, expose: false });
    expect(errorResponse(hidden, 'oauth', 1)).toMatchObject({
      statusCode: 500,
      json: { error: 'server_error' },
    });
  });

  it('to a bare 500 for anything else, without its message', () => {
    const response = errorResponse(new Error('ValidationException: internal detail'), 'oauth', 1);
    expect(response).toEqual({ statusCode: 500, json: { error: 'server_error' }, headers: {} });
  });
});

describe('layering', () => {
  const domainDir = join(import.meta.dirname, '../../functions/commons/domain');
  it.each(readdirSync(domainDir).filter((f) => f.endsWith('.ts')))(
    'domain/%s imports nothing from the HTTP adapter, the store or AWS',
    (file) => {
      const source = readFileSync(join(domainDir, file), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
      // jose is the domain's one library: the contract's rules for trusted issuers' JWTs are domain rules,
      // and jose speaks neither HTTP nor AWS (its key fetching is not used: trusted/jwks.ts fetches).
      for (const target of imports) {
        expect(target).toMatch(/^(\.\/[\w-]+\.ts|node:crypto|node:zlib|jose)$/);
      }
    },
  );
});
