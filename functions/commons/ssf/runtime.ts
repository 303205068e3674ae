/**
 * What the SSF routes share: the SSF store (on the handlers' one DynamoDB client), the deliverer's queue,
 * the receiver's authorization by bearer token, and the issuer a request names.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { findActiveToken } from '../domain/activity.ts';
import { InvalidRequest } from '../domain/errors.ts';
import { SCOPE_MANAGE, SCOPE_READ, type Stream } from '../domain/ssf.ts';
import type { SsfQueue } from '../domain/ssf-delivery.ts';
import { InsufficientScope, InvalidToken, StreamNotFound } from '../domain/ssf-errors.ts';
import { presentToken } from '../domain/token-format.ts';
import { bearerToken } from '../http/bearer.ts';
import type { HttpRequest } from '../http/handler.ts';
import { requestIssuer } from '../metadata.ts';
import { tracer } from '../observability.ts';
import { clock, config, dynamoClient, store } from '../runtime.ts';
import { SsfDynamoStore } from '../store/ssf.ts';
import { SSF_ENV } from './config.ts';
import { localQueue, sqsQueue } from './queue.ts';

export const ssfStore = new SsfDynamoStore({ client: dynamoClient, tableName: config.tableName });
export { clock };

let sqs: SsfQueue | undefined;

/** The deliverer's queue: SQS on AWS, the local server's in-process one locally. */
export function ssfQueue(): SsfQueue {
  const url = process.env[SSF_ENV.queueUrl];
  if (url) {
    sqs ??= sqsQueue(
      tracer.captureAWSv3Client(
        new SQSClient({
          maxAttempts: 3,
          requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
        }),
      ),
      url,
    );
    return sqs;
  }
  const local = localQueue();
  if (!local) throw new Error(`${SSF_ENV.queueUrl} is not set and no local SSF queue is registered`);
  return local;
}

/** The issuer a route names: `ISSUER`, else the origin the caller reached (as the RFC 8414 metadata). */
export function issuerOf(request: HttpRequest): string {
  const issuer = config.issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
  if (issuer === undefined) throw new InvalidRequest('the Host header is not a host name');
  return issuer;
}

/**
 * The receiver calling: the client whose active `client_credentials` access token is the bearer, with
 * `ssf.manage`, or for `read` either scope. Returns its client id (the streams' `aud`).
 */
export async function authorizeReceiver(request: HttpRequest, need: 'manage' | 'read'): Promise<string> {
  const presented = presentToken(bearerToken(request.headers.authorization));
  request.log.tokenId = presented.id;
  const token =
    presented.refs?.kind === 'access' ? await findActiveToken(store, clock, presented) : undefined;
  if (token?.grantType !== 'client_credentials') throw new InvalidToken();
  request.log.clientId = token.clientId;
  const scopes = token.scope.split(' ');
  const allowed = scopes.includes(SCOPE_MANAGE) || (need === 'read' && scopes.includes(SCOPE_READ));
  if (!allowed) throw new InsufficientScope(need === 'manage' ? SCOPE_MANAGE : SCOPE_READ);
  return token.clientId;
}

/** The receiver's own stream; anyone else's, like a missing one, is 404. */
export async function ownStream(streamId: string, receiver: string): Promise<Stream> {
  const stream = await ssfStore.getStream(streamId);
  if (!stream || stream.receiver !== receiver) throw new StreamNotFound();
  return stream;
}

/** A required query parameter. */
export function queryParameter(request: HttpRequest, name: string): string {
  const value = request.query[name];
  if (value === undefined || value === '') throw new InvalidRequest(`query parameter "${name}" is required`);
  if (value.length > 128) throw new InvalidRequest(`query parameter "${name}" is too long`);
  return value;
}

/** The request body as text (SSF bodies are JSON). */
export const bodyText = (request: HttpRequest) => request.body.toString('utf8');
