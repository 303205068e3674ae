import { type ListedPrincipal, parseListedPrincipal } from './principals.ts';

/**
 * Configuration, read and validated once per cold start by each function's composition root
 * (`functions/<name>/index.ts`), which reads only its own slice. A missing or malformed variable fails the
 * cold start loudly instead of running with a silent default. Nothing here reads `process.env`: the
 * environment is always passed in.
 */

export interface Config {
  /** DynamoDB table holding tokens and clients. */
  readonly tableName: string;
  /** Endpoint override (DynamoDB Local); undefined on AWS. */
  readonly dynamoDbEndpoint: string | undefined;
  /** Seconds a caller is told to wait after DynamoDB was unavailable or throttling. */
  readonly retryAfterSeconds: number;
  /**
   * RFC 8414 issuer identifier; undefined means each request's own origin (the API URL on AWS), which
   * keeps the CDK stack free of a function -> API -> function reference cycle.
   */
  readonly issuer: string | undefined;
  /** Failed client authentications one (client id, source IP) pair may make per window before a 429. */
  readonly authFailureLimit: number;
  /** Length of that window, from the pair's first counted failure. */
  readonly authFailureWindowSeconds: number;
  /** How long a warm function may authenticate callers from a client item it read; 0: never. */
  readonly clientCacheSeconds: number;
  /**
   * IAM principals allowed on the admin API besides IAM's own check; undefined means whoever IAM lets in.
   * Set on the admin functions only.
   */
  readonly adminPrincipals: readonly ListedPrincipal[] | undefined;
  /** The EventBridge bus revocation events go to (the publisher only); undefined: none. */
  readonly eventBusName: string | undefined;
  /** Locally: a URL each event is POSTed to as EventBridge hands it to targets (the publisher only). */
  readonly eventsWebhookUrl: string | undefined;
}

/** Environment variable names, shared with the CDK stack and the local server. */
export const ENV = {
  tableName: 'TABLE_NAME',
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  retryAfterSeconds: 'RETRY_AFTER_SECONDS',
  issuer: 'ISSUER',
  authFailureLimit: 'AUTH_FAILURE_LIMIT',
  authFailureWindowSeconds: 'AUTH_FAILURE_WINDOW_SECONDS',
  clientCacheSeconds: 'CLIENT_CACHE_SECONDS',
  adminPrincipalArns: 'ADMIN_PRINCIPAL_ARNS',
  eventBusName: 'EVENT_BUS_NAME',
  eventsWebhookUrl: 'EVENTS_WEBHOOK_URL',
  /** The publisher's on-failure queue (AWS): where an event EventBridge did not take is kept whole. */
  eventsFailureQueueUrl: 'EVENTS_FAILURE_QUEUE_URL',
  /** [v3] AWS: the Secrets Manager secret whose value keys subject hashes (functions that mint or cut off). */
  subjectKeySecretArn: 'SUBJECT_KEY_SECRET_ARN',
  /** [v3] Locally: the file holding that secret (generated on first use; npm start keeps it in the data dir). */
  subjectKeyFile: 'SUBJECT_KEY_FILE',
} as const;

/** The longest client cache: a deleted client or an ended grace may be honoured this long at most. */
export const MAX_CLIENT_CACHE_SECONDS = 300;

/**
 * Checks an admin principal allow-list and returns its entries parsed: IAM user or role ARNs, at least
 * one. Throws naming the first entry that is neither.
 */
export function checkAdminPrincipalArns(
  arns: readonly string[],
  name: string = ENV.adminPrincipalArns,
): ListedPrincipal[] {
  if (arns.length === 0) throw new Error(`${name} must list at least one IAM user or role ARN`);
  return arns.map((arn) => {
    const parsed = parseListedPrincipal(arn);
    if (!parsed) {
      throw new Error(
        `${name} must list IAM user or role ARNs (arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME), got ${JSON.stringify(arn)}`,
      );
    }
    return parsed;
  });
}

/** Hosts an issuer may name over plain http: RFC 8414 2 demands https, and loopback is only for development. */
export const isLoopbackHost = (hostname: string) => hostname === 'localhost' || hostname === '127.0.0.1';

/**
 * Checks an RFC 8414 section 2 issuer identifier and returns it unchanged: an https URL (http only for
 * localhost or 127.0.0.1) with no query, fragment or credentials, and no trailing slash, because the
 * endpoints are the issuer followed by `/oauth2/...`. It must also be written in the canonical form a URL
 * parser gives it (lower-case host, no default port), because RFC 8414 3.3 has clients compare the
 * document's `issuer` with the identifier they started from, and some compare strings.
 */
export function checkIssuer(value: string, name: string = ENV.issuer): string {
  const fail = (why: string): never => {
    throw new Error(`${name} must be an RFC 8414 issuer URL: ${why}, got ${JSON.stringify(value)}`);
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    fail('https is required (http only for localhost and 127.0.0.1)');
  }
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    fail('no query or fragment');
  }
  if (url.username !== '' || url.password !== '') fail('no user name or password');
  if (value.endsWith('/')) fail('no trailing slash');
  const canonical = url.pathname === '/' ? url.origin : url.href;
  if (canonical !== value) fail(`write it as ${JSON.stringify(canonical)}`);
  return value;
}

/** An integer variable within [min, max], or its default when unset or empty; throws naming it. */
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Where the table is: what every function that reads or writes it needs. */
export type TableSettings = Pick<Config, 'tableName' | 'dynamoDbEndpoint'>;
/** What `httpHandler` needs: the 503's Retry-After and the admin API's allow-list. */
export type HttpSettings = Pick<Config, 'retryAfterSeconds' | 'adminPrincipals'>;
/** Client authentication's throttle and cache (the token, revoke and introspect routes). */
export type ClientAuthSettings = Pick<
  Config,
  'authFailureLimit' | 'authFailureWindowSeconds' | 'clientCacheSeconds'
>;
/** Where the publisher sends events. */
export type EventSettings = Pick<Config, 'eventBusName' | 'eventsWebhookUrl'>;

/** The table's name and endpoint; throws naming the first bad variable. */
export function readTableSettings(env: NodeJS.ProcessEnv): TableSettings {
  const tableName = env[ENV.tableName];
  if (!tableName) throw new Error(`${ENV.tableName} must be set to the DynamoDB table name`);
  const endpoint = env[ENV.dynamoDbEndpoint] || undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new Error(`${ENV.dynamoDbEndpoint} must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  return { tableName, dynamoDbEndpoint: endpoint };
}

function readRetryAfterSeconds(env: NodeJS.ProcessEnv): number {
  const retryAfterRaw = env[ENV.retryAfterSeconds];
  const retryAfterSeconds = retryAfterRaw === undefined ? 1 : Number(retryAfterRaw);
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1) {
    throw new Error(`${ENV.retryAfterSeconds} must be a positive integer`);
  }
  return retryAfterSeconds;
}

/** The configured RFC 8414 issuer, undefined when unset or empty; throws when it is not one. */
export function readIssuer(env: NodeJS.ProcessEnv): string | undefined {
  const issuerRaw = env[ENV.issuer] || undefined;
  return issuerRaw === undefined ? undefined : checkIssuer(issuerRaw);
}

function readAdminPrincipals(env: NodeJS.ProcessEnv): readonly ListedPrincipal[] | undefined {
  // Comma-separated, as a Lambda environment variable can only hold a string; unset or empty: no list.
  const principalsRaw = env[ENV.adminPrincipalArns] || undefined;
  return principalsRaw === undefined
    ? undefined
    : checkAdminPrincipalArns(
        principalsRaw
          .split(',')
          .map((arn) => arn.trim())
          .filter((arn) => arn !== ''),
      );
}

/** The settings of every HTTP function's handler plumbing; throws naming the first bad variable. */
export function readHttpSettings(env: NodeJS.ProcessEnv): HttpSettings {
  return { retryAfterSeconds: readRetryAfterSeconds(env), adminPrincipals: readAdminPrincipals(env) };
}

/** The publisher's targets; throws when the webhook is not a URL. */
export function readEventSettings(env: NodeJS.ProcessEnv): EventSettings {
  const eventsWebhookUrl = env[ENV.eventsWebhookUrl] || undefined;
  if (eventsWebhookUrl !== undefined && !URL.canParse(eventsWebhookUrl)) {
    throw new Error(`${ENV.eventsWebhookUrl} must be a URL, got ${JSON.stringify(eventsWebhookUrl)}`);
  }
  return { eventBusName: env[ENV.eventBusName] || undefined, eventsWebhookUrl };
}

/** Client authentication's throttle and cache; throws naming the first bad variable. */
export function readClientAuthSettings(env: NodeJS.ProcessEnv): ClientAuthSettings {
  return {
    authFailureLimit: integer(env, ENV.authFailureLimit, 20, 1, 1_000_000),
    authFailureWindowSeconds: integer(env, ENV.authFailureWindowSeconds, 60, 1, 86_400),
    clientCacheSeconds: integer(env, ENV.clientCacheSeconds, 5, 0, MAX_CLIENT_CACHE_SECONDS),
  };
}

/**
 * Parses every setting from an environment; throws naming the first bad variable. A function reads only
 * its slice (the readers above, in its `index.ts`); the whole is for the local server, which serves all.
 */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  // In this order, so that the first bad variable named is the one it always was.
  const table = readTableSettings(env);
  const retryAfterSeconds = readRetryAfterSeconds(env);
  const issuer = readIssuer(env);
  const adminPrincipals = readAdminPrincipals(env);
  const events = readEventSettings(env);
  return { ...table, ...events, retryAfterSeconds, issuer, adminPrincipals, ...readClientAuthSettings(env) };
}
