import { request } from 'node:http';
import { parseJsonBody } from '#tools/admin-client.ts';
import { basic, recordSecrets } from './helpers.ts';

export interface SourcedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

/**
 * A form POST to a local server from a chosen loopback source address (Linux routes all of 127.0.0.0/8
 * to loopback), so a test gets a source IP of its own: the server listens on 127.0.0.1 and sees the
 * connection come from `sourceIp`. `auth` as [clientId, secret] adds Basic credentials.
 */
export function postFormFrom(
  sourceIp: string,
  baseUrl: string,
  path: string,
  params: Record<string, string>,
  auth?: readonly [string, string],
): Promise<SourcedResponse> {
  const { port } = new URL(baseUrl);
  const body = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (auth) headers.authorization = basic(auth[0], auth[1]);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: Number(port), path, method: 'POST', headers, localAddress: sourceIp },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const json = parseJsonBody(Buffer.concat(chunks).toString('utf8'));
          recordSecrets(json);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, json });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
