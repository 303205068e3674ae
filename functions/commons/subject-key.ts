/**
 * [v3] The deployment's subject key secret, read once per cold start (then every subject key is a local
 * HMAC: no network call per request). On AWS it is a Secrets Manager secret the stack generates at deploy,
 * so its value is never in the template or a log; locally a file of random bytes, generated on first use
 * (`npm start` keeps it in the data directory, so tokens keep their keys across restarts).
 *
 * The secret is fetched with one SigV4-signed `GetSecretValue` call made with the SDK's own signer and
 * hash, which every bundle carries already for DynamoDB, instead of `@aws-sdk/client-secrets-manager`: that
 * client adds 14 KB to a bundle, and the bundles are at their size limit (bundling/handlers.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ENV } from './config.ts';
import { StoreUnavailable } from './domain/errors.ts';
import { type SubjectKeyer, subjectKeyer } from './domain/token-format.ts';

/** Bytes of a locally generated secret. */
const LOCAL_SECRET_BYTES = 32;
/** The secret fetch's deadline: a cold start waits for it, and a caller gets a 503 past it. */
const FETCH_DEADLINE_MS = 2000;

/** Where the subject key secret is: the root reads these from its environment (`ENV`). */
export interface SubjectKeySettings {
  /** AWS: the Secrets Manager secret (`SUBJECT_KEY_SECRET_ARN`). */
  readonly secretArn: string | undefined;
  /** Locally: the file holding the secret (`SUBJECT_KEY_FILE`). */
  readonly file: string | undefined;
  /** The secret's region (`AWS_REGION`; else the ARN's). */
  readonly region: string | undefined;
  /** The function's role credentials, to sign the fetch with (on Lambda, the environment's). */
  readonly credentials: AwsCredentialIdentityProvider;
}

/** The subject key settings of an environment: what a composition root passes to `subjectKeySource`. */
export function readSubjectKeySettings(
  env: NodeJS.ProcessEnv,
  credentials: AwsCredentialIdentityProvider,
): SubjectKeySettings {
  return {
    secretArn: env[ENV.subjectKeySecretArn] || undefined,
    file: env[ENV.subjectKeyFile] || undefined,
    region: env.AWS_REGION || undefined,
    credentials,
  };
}

/** What the functions that mint or cut off ask for the deployment's subject keyer (one per process). */
export type SubjectKeySource = () => Promise<SubjectKeyer>;

/**
 * This deployment's subject keyer, loaded on first use and kept for the life of the source. A failed load
 * (Secrets Manager unreachable) is `StoreUnavailable` (a 503 with Retry-After) and is tried again by the
 * next call. Settings with neither the secret nor the file fail loudly: a plain hash would be the flaw
 * this fixes.
 */
export function subjectKeySource(settings: SubjectKeySettings): SubjectKeySource {
  let loading: Promise<SubjectKeyer> | undefined;
  return () => {
    loading ??= load(settings).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

async function load(settings: SubjectKeySettings): Promise<SubjectKeyer> {
  if (settings.secretArn)
    return subjectKeyer(Buffer.from(await fetchSecret(settings.secretArn, settings), 'utf8'));
  if (settings.file) return subjectKeyer(localSecret(settings.file));
  throw new Error(`${ENV.subjectKeySecretArn} (on AWS) or ${ENV.subjectKeyFile} (locally) must be set`);
}

/**
 * The local secret in `file`, created with fresh random bytes if there is none. Created exclusively
 * (`wx`), so two processes starting together on one data directory end up with the same secret.
 */
export function localSecret(file: string): Buffer {
  try {
    writeFileSync(file, randomBytes(LOCAL_SECRET_BYTES).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[A-Za-z0-9_-]{22,}$/.test(text)) throw new Error(`${file} does not hold a subject key secret`);
  return Buffer.from(text, 'base64url');
}

/** Secrets Manager `GetSecretValue` (JSON 1.1 protocol), signed with the function's role credentials. */
async function fetchSecret(arn: string, settings: SubjectKeySettings): Promise<string> {
  const region = settings.region ?? arn.split(':')[3] ?? '';
  const hostname = `secretsmanager.${region}.amazonaws.com`;
  const body = JSON.stringify({ SecretId: arn });
  const signer = new SignatureV4({
    service: 'secretsmanager',
    region,
    credentials: settings.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  try {
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'https:',
      hostname,
      path: '/',
      headers: {
        host: hostname,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body,
    });
    const { host: _host, ...headers } = signed.headers;
    const response = await fetch(`https://${hostname}/`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(FETCH_DEADLINE_MS),
    });
    const json = (await response.json().catch(() => ({}))) as { SecretString?: unknown; __type?: unknown };
    if (!response.ok || typeof json.SecretString !== 'string' || json.SecretString.length < 16) {
      // The error's type only (AccessDeniedException, ThrottlingException): never the body's secret.
      throw new Error(`GetSecretValue answered ${response.status} ${String(json.__type ?? '')}`.trim());
    }
    return json.SecretString;
  } catch (error) {
    throw new StoreUnavailable(error);
  }
}
