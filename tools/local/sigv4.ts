import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Credentials the local server accepts for the admin API. */
export interface AdminCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequest {
  readonly method: string;
  /** The path exactly as sent (still percent-encoded), without the query string. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  return [...new URLSearchParams(rawQuery)]
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** API Gateway refuses signatures dated more than 5 minutes away from its clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Why a signature was refused, for the server's log line. Names the failed check only: never a header
 * value, the path or the body.
 */
export type SigV4Refusal =
  | 'no SigV4 Authorization header'
  | 'unknown access key, region or service'
  | 'missing or malformed X-Amz-Date'
  | 'signed more than 5 minutes from the server clock'
  | 'host or x-amz-date not signed'
  | 'X-Amz-Content-Sha256 does not match the body'
  | 'signature does not match';

export type SigV4Check = { readonly keyId: string } | { readonly refused: SigV4Refusal };

/**
 * Verifies an AWS Signature Version 4 `Authorization` header the way API Gateway's IAM authorizer does,
 * for one set of credentials: the access key id on success, else which check failed.
 * Clients differ on whether non-S3 paths are encoded once or twice; both forms are accepted.
 */
export function checkSigV4(
  request: SignedRequest,
  credentials: AdminCredentials,
  scope: { region: string; service: string },
  now = Date.now(),
): SigV4Check {
  const header = request.headers.authorization;
  const match =
    header &&
    /^AWS4-HMAC-SHA256 +Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request, *SignedHeaders=([a-z0-9;-]+), *Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!match) return { refused: 'no SigV4 Authorization header' };
  const [, keyId = '', date, region, service, signedHeaderList = '', signature = ''] = match;
  if (keyId !== credentials.accessKeyId || region !== scope.region || service !== scope.service)
    return { refused: 'unknown access key, region or service' };
  const amzDate = request.headers['x-amz-date'];
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date)
    return { refused: 'missing or malformed X-Amz-Date' };
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (!(Math.abs(now - signedAt) <= MAX_CLOCK_SKEW_MS))
    return { refused: 'signed more than 5 minutes from the server clock' };
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date'))
    return { refused: 'host or x-amz-date not signed' };
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = sha256Hex(request.body);
  const declaredHash = request.headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== payloadHash)
    return { refused: 'X-Amz-Content-Sha256 does not match the body' };
  const credentialScope = `${date}/${region}/${service}/aws4_request`;
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ''), region ?? ''), service ?? ''),
    'aws4_request',
  );
  const presented = Buffer.from(signature, 'hex');
  const onceEncoded = request.rawPath || '/';
  const twiceEncoded = onceEncoded
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
  const valid = [twiceEncoded, onceEncoded].some((path) => {
    const canonicalRequest = [
      request.method,
      path,
      canonicalQuery(request.rawQuery),
      canonicalHeaders,
      signedHeaderList,
      payloadHash,
    ].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join(
      '\n',
    );
    return timingSafeEqual(hmac(signingKey, stringToSign), presented);
  });
  return valid ? { keyId } : { refused: 'signature does not match' };
}

/** `checkSigV4` for callers that only need the verdict: the access key id, or undefined when refused. */
export function verifySigV4(
  request: SignedRequest,
  credentials: AdminCredentials,
  scope: { region: string; service: string },
  now = Date.now(),
): string | undefined {
  const result = checkSigV4(request, credentials, scope, now);
  return 'keyId' in result ? result.keyId : undefined;
}
