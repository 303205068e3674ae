import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { checkTokenSyntax, MAX_BODY_BYTES, parseForm, tokenHint } from '#commons/http/form.ts';

const FORM = 'application/x-www-form-urlencoded';
const form = (body: string, type: string | undefined = FORM) => parseForm(type, Buffer.from(body));

function invalidRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequest);
    return (error as InvalidRequest).message;
  }
  throw new Error('expected invalid_request');
}

describe('form parameters (RFC 6749 3.1, 3.2)', () => {
  it('decodes form encoding, including + as space', () => {
    expect(Object.fromEntries(form('a=b%20c&d=e+f'))).toEqual({ a: 'b c', d: 'e f' });
  });

  it('accepts a charset parameter on the media type', () => {
    expect(form('a=1', 'application/x-www-form-urlencoded; charset=UTF-8').get('a')).toBe('1');
  });

  it('rejects other media types and a missing one', () => {
    expect(invalidRequest(() => form('{"a":1}', 'application/json'))).toMatch(/x-www-form-urlencoded/);
    invalidRequest(() => parseForm(undefined, Buffer.from('a=1')));
  });

  it('rejects a parameter given twice, naming it', () => {
    expect(invalidRequest(() => form('token=a&token=b'))).toContain('"token"');
  });

  it('treats an empty value as absent, also for the duplicate rule', () => {
    const params = form('token=&scope=read&token=abc');
    expect(params.get('token')).toBe('abc');
    expect(form('token=').has('token')).toBe(false);
  });

  it('rejects bodies over 16 KiB and accepts one at the limit', () => {
    const atLimit = `a=${'x'.repeat(MAX_BODY_BYTES - 2)}`;
    expect(form(atLimit).get('a')?.length).toBe(MAX_BODY_BYTES - 2);
    invalidRequest(() => form(`${atLimit}x`));
  });
});

describe('token syntax (RFC 6750 b64token)', () => {
  it('accepts b64token characters with trailing =', () => {
    expect(checkTokenSyntax('aZ09-._~+/==')).toBe('aZ09-._~+/==');
  });

  it.each(['has space', 'a=b', 'é', 'a"b', '=abc'])('rejects %j', (token) => {
    invalidRequest(() => checkTokenSyntax(token));
  });

  it("rejects tokens over 8 KiB (trusted issuers' JWTs can be large)", () => {
    expect(checkTokenSyntax('a'.repeat(8192))).toHaveLength(8192);
    invalidRequest(() => checkTokenSyntax('a'.repeat(8193)));
  });
});

describe('token type hint (RFC 7009 2.1)', () => {
  const hint = (body: string) => tokenHint(form(body));
  it('reads short and URN forms, and the token_type alias', () => {
    expect(hint('token_type_hint=refresh_token')).toBe('refresh_token');
    expect(hint('token_type_hint=urn:ietf:params:oauth:token-type:access_token')).toBe('access_token');
    expect(hint('token_type=refresh_token')).toBe('refresh_token');
  });
  it('ignores unknown values', () => {
    expect(hint('token_type_hint=id_token')).toBeUndefined();
  });
});
