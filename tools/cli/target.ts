import type { SigningCredentials } from '#tools/admin-client.ts';
import { type OptionValues, UsageError } from './commands.ts';

/** Where the admin calls go and how they are signed. */
export interface Target {
  readonly baseUrl: string;
  readonly region: string;
  /** Signed with the local server's admin credentials instead of the AWS credential chain. */
  readonly local: boolean;
}

/**
 * Where `--local` goes without a URL: where `npm start` listens, which `PORT` moves (as in
 * tools/local/start.ts), so one shell's `PORT` serves both.
 */
function localDefaultUrl(env: NodeJS.ProcessEnv): string {
  const port = env.PORT || '3000';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw new UsageError(`PORT must be a port number for --local, got ${port}`);
  return `http://localhost:${port}`;
}
/** The local server verifies signatures for this region only (see tools/local/server.ts). */
const LOCAL_REGION = 'us-east-1';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** API Gateway's own host names carry the API's region, the only one its signature check accepts. */
const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Resolves the target from `--url`, `--region`, `--local` and the environment. */
export function resolveTarget(values: OptionValues, env: NodeJS.ProcessEnv): Target {
  const explicitLocal = values.local === true;
  const raw =
    (typeof values.url === 'string' && values.url) ||
    env.REVOCATION_API_URL ||
    (explicitLocal ? localDefaultUrl(env) : undefined);
  if (!raw) throw new UsageError('no API URL: pass --url URL or set REVOCATION_API_URL (or --local)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url is not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--url must be an http or https URL: ${raw}`);
  if (url.search || url.hash) throw new UsageError(`--url must not have a query or fragment: ${raw}`);
  const local = explicitLocal || LOCAL_HOSTS.has(url.hostname);
  const region =
    (typeof values.region === 'string' && values.region) ||
    (local
      ? LOCAL_REGION
      : EXECUTE_API_HOST.exec(url.hostname)?.[1] || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1');
  return { baseUrl: url.href, region, local };
}

/**
 * The credentials to sign with: the local admin pair for the local server, otherwise the standard AWS
 * credential chain (environment, shared config and SSO, process, web identity, ECS/EC2 roles).
 */
export async function signingCredentials(
  target: Target,
  env: NodeJS.ProcessEnv,
): Promise<SigningCredentials> {
  if (target.local) {
    return {
      accessKeyId: env.ADMIN_ACCESS_KEY_ID || 'LOCALADMIN',
      secretAccessKey: env.ADMIN_SECRET_ACCESS_KEY || 'localadminsecret',
    };
  }
  // Loaded only here: the AWS SDK adds startup time that local calls do not need.
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  // Role and SSO profiles call STS/SSO; in the API's region rather than a guessed default.
  return fromNodeProviderChain({ clientConfig: { region: target.region } })();
}
