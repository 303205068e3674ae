/**
 * `npm run issuer`: a tiny authorization server of its own on loopback, for watching trusted issuers work
 * locally (docs/trusted-issuers.md). It signs JWT access tokens (RFC 9068) with a key it generates at
 * start, serves its JWK Set, and prints the commands that register it with `npm start`'s service and mint
 * a token. Not an OAuth server anyone should use: anyone who reaches its port gets a token.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Signature algorithms it can sign with. */
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

export interface IssuerSettings {
  readonly port: number;
  readonly alg: Algorithm;
  /** Lifetime of a minted token, seconds. */
  readonly ttl: number;
}

const OPTIONS = {
  port: { type: 'string' },
  alg: { type: 'string' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ISSUER_HELP = `Usage: npm run issuer [-- OPTIONS]
Runs a tiny local issuer of JWT access tokens on http://127.0.0.1:3100, to try trusted issuers with
npm start (docs/trusted-issuers.md). It prints the command that registers it with the service.

Options:
  --port PORT   port to listen on (default 3100, or $ISSUER_PORT; 0 picks a free one)
  --alg ALG     signature algorithm: ES256 (default), RS256 or EdDSA
  --ttl SECONDS lifetime of the tokens it mints (default 3600)
  -h, --help    print this help

Endpoints:
  GET /.well-known/jwks.json                    its public key (the service fetches it)
  GET /token?sub=USER&scope=SCOPES&session=ID   a new access token; tokens of one session share "sid"`;

/** Thrown for `--help`: its message is the help text. */
export class IssuerHelp extends Error {}

/** Reads the settings; throws one line naming a bad or unknown option. */
export function issuerSettings(env: NodeJS.ProcessEnv, argv: readonly string[]): IssuerSettings {
  let values: { port?: string; alg?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(`${text.split('. ')[0]?.replace(/\.$/, '')}. Run with --help for the options.`);
  }
  if (values.help) throw new IssuerHelp(ISSUER_HELP);
  const rawPort = values.port ?? env.ISSUER_PORT ?? '3100';
  const port = /^\d+$/.test(rawPort) ? Number(rawPort) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`--port must be a port number, got ${rawPort}`);
  const alg = (values.alg ?? 'ES256') as Algorithm;
  if (!ALGORITHMS.includes(alg)) throw new Error(`--alg must be one of ${ALGORITHMS.join(', ')}, got ${alg}`);
  const ttl = Number(values.ttl ?? '3600');
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400)
    throw new Error('--ttl must be 60 to 86400 seconds');
  return { port, alg, ttl };
}

export interface RunningLocalIssuer {
  readonly url: string;
  readonly jwksUri: string;
  readonly server: Server;
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** Starts the issuer; resolves once it listens on loopback. */
export async function startLocalIssuer(settings: IssuerSettings): Promise<RunningLocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(settings.alg, { extractable: true });
  const kid = randomUUID().slice(0, 8);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: settings.alg, use: 'sig' };
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${settings.port} is in use: pass --port or set ISSUER_PORT (0 picks a free one).`)
          : error,
      ),
    );
    server.listen(settings.port, '127.0.0.1', resolve);
  });
  // 127.0.0.1 rather than localhost: the name may resolve to ::1 first, where nothing listens.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mint = async (query: URLSearchParams) => {
    const now = Math.floor(Date.now() / 1000);
    const session = query.get('session') || randomUUID();
    const token = await new SignJWT({
      iss: url,
      sub: query.get('sub') || 'alice',
      client_id: query.get('client_id') || 'local-app',
      scope: query.get('scope') || 'read',
      sid: session,
      jti: randomUUID(),
      iat: now,
      exp: now + settings.ttl,
    })
      .setProtectedHeader({ alg: settings.alg, kid, typ: 'at+jwt' })
      .sign(privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: settings.ttl, session };
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const target = new URL(request.url ?? '/', url);
    if (request.method === 'GET' && target.pathname === '/.well-known/jwks.json') {
      return send(response, 200, { keys: [jwk] });
    }
    if ((request.method === 'GET' || request.method === 'POST') && target.pathname === '/token') {
      mint(target.searchParams).then(
        (body) => send(response, 200, body),
        () => send(response, 500, { error: 'server_error' }),
      );
      return;
    }
    send(response, 404, { error: 'not_found' });
  });
  return { url, jwksUri: `${url}/.well-known/jwks.json`, server };
}

/** What `npm run issuer` prints once it listens: the walkthrough's commands, ready to paste. */
export function issuerBanner(issuer: RunningLocalIssuer, serviceUrl = 'http://localhost:3000'): string {
  return `Local issuer listening on ${issuer.url} (its JWK Set: ${issuer.jwksUri})

With npm start running in another terminal, in bash (needs curl and jq):
  URL=${serviceUrl}
  SIGN=(--aws-sigv4 "aws:amz:us-east-1:execute-api" --user LOCALADMIN:localadminsecret)
  # register this issuer; its tokens of one session share "sid" (the family)
  curl -s "\${SIGN[@]}" -H 'Content-Type: application/json' \\
    -d '{"issuer":"${issuer.url}","jwksUri":"${issuer.jwksUri}","familyClaim":"sid"}' $URL/admin/issuers | jq -c .
  # (or: npx revocation-admin --local issuers register --issuer ${issuer.url} --jwks-uri ${issuer.jwksUri} --family-claim sid)
  AT=$(curl -s '${issuer.url}/token?sub=alice&scope=read&session=s1' | jq -r .access_token)
  AT2=$(curl -s '${issuer.url}/token?sub=alice&scope=read&session=s1' | jq -r .access_token)
  curl -s -H "Authorization: Bearer $AT2" $URL/demo/whoami | jq -c .   # {"clientId":"local-app",...,"iss":"${issuer.url}"}
  curl -s -w '%{http_code}\\n' -d token="$AT" $URL/oauth2/revoke       # 200: the holder revokes, no client needed
  curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $AT2" $URL/demo/whoami   # 401: the session went with it
Press Ctrl-C to stop.`;
}

/** `npm run issuer`. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const settings = issuerSettings(process.env, argv);
  const issuer = await startLocalIssuer(settings);
  console.log(issuerBanner(issuer, `http://localhost:${process.env.PORT || 3000}`));
  const stop = () => {
    issuer.server.closeAllConnections();
    issuer.server.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
