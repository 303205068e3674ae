import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { checkSigV4, type SignedRequest, verifySigV4 } from '#tools/local/sigv4.ts';

const CREDENTIALS = { accessKeyId: 'LOCALADMIN', secretAccessKey: 'localadminsecret' };
const SCOPE = { region: 'us-east-1', service: 'execute-api' };

/** Signs with the AWS SDK's own signer, an implementation independent of the verifier. */
async function signed(
  options: {
    path?: string;
    body?: string;
    credentials?: typeof CREDENTIALS;
    region?: string;
    date?: Date;
  } = {},
): Promise<SignedRequest> {
  const path = options.path ?? '/admin/clients/abc';
  const body = options.body ?? '';
  const signer = new SignatureV4({
    credentials: options.credentials ?? CREDENTIALS,
    region: options.region ?? 'us-east-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: 'localhost',
      port: 3000,
      path,
      query: { b: '2', a: '1' },
      headers: { host: 'localhost:3000', 'content-type': 'application/json' },
      body,
    },
    options.date ? { signingDate: options.date } : {},
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', rawPath: path, rawQuery: 'b=2&a=1', headers, body: Buffer.from(body) };
}

describe('SigV4 verification of admin calls', () => {
  it('accepts a request signed with the admin credentials', async () => {
    expect(verifySigV4(await signed({ body: '{"name":"x"}' }), CREDENTIALS, SCOPE)).toBe('LOCALADMIN');
  });

  it('rejects a wrong secret, another key id, region or service', async () => {
    expect(
      verifySigV4(
        await signed({ credentials: { ...CREDENTIALS, secretAccessKey: 'x' } }),
        CREDENTIALS,
        SCOPE,
      ),
    ).toBe(undefined);
    expect(
      verifySigV4(
        await signed({ credentials: { ...CREDENTIALS, accessKeyId: 'OTHER' } }),
        CREDENTIALS,
        SCOPE,
      ),
    ).toBe(undefined);
    expect(verifySigV4(await signed({ region: 'eu-west-1' }), CREDENTIALS, SCOPE)).toBeUndefined();
    expect(verifySigV4(await signed(), CREDENTIALS, { ...SCOPE, service: 'lambda' })).toBeUndefined();
  });

  it('rejects a tampered body, path or query', async () => {
    const request = await signed({ body: '{"name":"x"}' });
    expect(
      verifySigV4({ ...request, body: Buffer.from('{"name":"y"}') }, CREDENTIALS, SCOPE),
    ).toBeUndefined();
    expect(verifySigV4({ ...request, rawPath: '/admin/clients/abd' }, CREDENTIALS, SCOPE)).toBeUndefined();
    expect(verifySigV4({ ...request, rawQuery: 'a=1&b=3' }, CREDENTIALS, SCOPE)).toBeUndefined();
  });

  it('accepts a clock skew of up to 5 minutes either way, as API Gateway does', async () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const at = (offsetSeconds: number) => signed({ date: new Date(now + offsetSeconds * 1000) });
    expect(verifySigV4(await at(-(4 * 60 + 59)), CREDENTIALS, SCOPE, now)).toBe('LOCALADMIN');
    expect(verifySigV4(await at(4 * 60 + 59), CREDENTIALS, SCOPE, now)).toBe('LOCALADMIN');
    expect(verifySigV4(await at(5 * 60), CREDENTIALS, SCOPE, now)).toBe('LOCALADMIN');
  });

  it('refuses a signature dated more than 5 minutes from the server clock, either way', async () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const at = (offsetSeconds: number) => signed({ date: new Date(now + offsetSeconds * 1000) });
    for (const offset of [-(5 * 60 + 1), 5 * 60 + 1]) {
      const request = await at(offset);
      expect(verifySigV4(request, CREDENTIALS, SCOPE, now)).toBeUndefined();
      expect(checkSigV4(request, CREDENTIALS, SCOPE, now)).toEqual({
        refused: 'signed more than 5 minutes from the server clock',
      });
    }
  });

  it('names the check that refused a signature, and nothing of the request', async () => {
    const request = await signed({ body: '{"name":"x"}' });
    const { authorization: _, ...unsigned } = request.headers;
    const cases: [SignedRequest, string][] = [
      [{ ...request, headers: unsigned }, 'no SigV4 Authorization header'],
      [
        { ...request, headers: { ...request.headers, 'x-amz-date': undefined } },
        'missing or malformed X-Amz-Date',
      ],
      [{ ...request, body: Buffer.from('{"name":"y"}') }, 'X-Amz-Content-Sha256 does not match the body'],
      [{ ...request, rawPath: '/admin/clients/abd' }, 'signature does not match'],
    ];
    for (const [tampered, reason] of cases)
      expect(checkSigV4(tampered, CREDENTIALS, SCOPE)).toEqual({ refused: reason });
    const other = await signed({ credentials: { ...CREDENTIALS, accessKeyId: 'OTHER' } });
    expect(checkSigV4(other, CREDENTIALS, SCOPE)).toEqual({
      refused: 'unknown access key, region or service',
    });
    expect(checkSigV4(request, CREDENTIALS, SCOPE)).toEqual({ keyId: 'LOCALADMIN' });
  });

  it('rejects a missing or unsigned Authorization header', async () => {
    const request = await signed();
    const { authorization: _, ...headers } = request.headers;
    expect(verifySigV4({ ...request, headers }, CREDENTIALS, SCOPE)).toBeUndefined();
    expect(
      verifySigV4({ ...request, headers: { ...headers, authorization: 'Basic abc' } }, CREDENTIALS, SCOPE),
    ).toBe(undefined);
  });
});
