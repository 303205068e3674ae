import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type SignedRequest, verifySigV4 } from '#tools/local/sigv4.ts';

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

  it('rejects signatures older than 15 minutes', async () => {
    const old = await signed({ date: new Date(Date.now() - 16 * 60 * 1000) });
    expect(verifySigV4(old, CREDENTIALS, SCOPE)).toBeUndefined();
    const recent = await signed({ date: new Date(Date.now() - 14 * 60 * 1000) });
    expect(verifySigV4(recent, CREDENTIALS, SCOPE)).toBe('LOCALADMIN');
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
