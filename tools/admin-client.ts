import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials that sign admin calls. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AdminResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  readonly json: unknown;
}

/**
 * Calls the admin API with a SigV4 signature (service `execute-api`), as API Gateway's IAM authorizer
 * and the local server both expect. Shared by the admin CLI and the tests.
 */
export async function adminRequest(
  baseUrl: string,
  method: string,
  path: string,
  credentials: SigningCredentials,
  options: { body?: unknown; region?: string; headers?: Readonly<Record<string, string>> } = {},
): Promise<AdminResponse> {
  const url = new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  // Extra headers (an Idempotency-Key) are signed too, so they cannot be altered on the way.
  const headers: Record<string, string> = { ...options.headers, host: url.host };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signer = new SignatureV4({
    credentials,
    region: options.region ?? 'us-east-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port && { port: Number(url.port) }),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    ...(body !== undefined && { body }),
  });
  const { host: _host, ...sendHeaders } = signed.headers;
  const response = await fetch(url, { method, headers: sendHeaders, ...(body !== undefined && { body }) });
  return { status: response.status, headers: response.headers, json: parseJsonBody(await response.text()) };
}

/** A response body parsed as JSON; undefined when it is empty or not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
