/**
 * The deploy-time registration of the construct's `trustedIssuers` (a CloudFormation custom resource),
 * invoked in-process as CloudFormation would invoke it, against DynamoDB Local, with its answer PUT to a
 * loopback server standing in for the pre-signed S3 response URL. Also the commands it sends: only the
 * GetItem and PutItem its manifest entry (and its IAM policy, on issuer items) allows.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerIdOf } from '#commons/domain/issuers.ts';
import { systemClock } from '#commons/domain/model.ts';
import { functionEntry } from '#commons/manifest.ts';
import { ISSUER_KEY_PREFIX } from '#commons/schema.ts';
import { createHandler } from '#functions/register-issuers/handler.ts';
import { dynamoEndpoint, tableName } from '#test/support/helpers.ts';
import { openTable } from '#wiring/table.ts';
import { openTrustStore } from '#wiring/trusted.ts';

type Handler = (event: CloudFormationCustomResourceEvent, context: Context) => Promise<void>;
let handler: Handler;
let server: Server;
let responseUrl: string;
const answers: Record<string, unknown>[] = [];
const sent: { command: string; key?: string }[] = [];

beforeAll(async () => {
  // Its factory, given what its root builds: a table client of its own, which records what it sends.
  const table = openTable({ tableName, dynamoDbEndpoint: dynamoEndpoint });
  handler = createHandler({ trustStore: openTrustStore(table), clock: systemClock }) as unknown as Handler;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const key =
        (args.input as { Key?: { pk?: string }; Item?: { pk?: string } }).Key?.pk ??
        (args.input as { Item?: { pk?: string } }).Item?.pk;
      sent.push({ command: context.commandName ?? '', ...(key !== undefined && { key }) });
      return next(args);
    },
    { step: 'initialize', name: 'recordRegistrationCommands' },
  );
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      answers.push({ method: request.method, ...(JSON.parse(body) as object) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  issuers: unknown[],
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:register',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Auth/1',
    RequestId: randomBytes(8).toString('hex'),
    LogicalResourceId: 'TrustedIssuers',
    ResourceType: 'Custom::TrustedIssuers',
    ResourceProperties: { ServiceToken: 'x', Issuers: JSON.stringify(issuers) },
    ...(requestType !== 'Create' && { PhysicalResourceId: 'trusted-issuers', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

const context = { awsRequestId: 'test', functionName: 'register-issuers' } as Context;

describe('register-issuers (the trustedIssuers custom resource)', () => {
  it('registers each issuer, and answers SUCCESS at the response URL', async () => {
    const pool = `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_${randomBytes(5).toString('hex')}`;
    const issuers = [
      {
        issuer: pool,
        jwksUri: `${pool}/.well-known/jwks.json`,
        familyClaim: 'origin_jti',
        clientIdClaims: ['client_id'],
      },
    ];
    answers.length = 0;
    sent.length = 0;
    await handler(event('Create', issuers), context);
    expect(answers).toEqual([
      expect.objectContaining({
        method: 'PUT',
        Status: 'SUCCESS',
        PhysicalResourceId: 'trusted-issuers',
        LogicalResourceId: 'TrustedIssuers',
        Data: { Registered: issuerIdOf(pool) },
      }),
    ]);
    // Only the manifest's actions, on issuer items only (the IAM policy's LeadingKeys condition).
    const entry = functionEntry('register-issuers');
    expect(sent.map((c) => c.command).sort()).toEqual(['GetItemCommand', 'PutItemCommand']);
    expect(entry.tableActions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(sent.every((c) => c.key?.startsWith(ISSUER_KEY_PREFIX))).toBe(true);

    // Again (a redeploy, a retried deploy): nothing changes, still SUCCESS.
    answers.length = 0;
    await handler(event('Update', issuers), context);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', Data: { Registered: '' } })]);
  });

  it('answers FAILED naming the field when a registration is refused, and registers none of the list', async () => {
    answers.length = 0;
    sent.length = 0;
    const valid = {
      issuer: `https://${randomBytes(5).toString('hex')}.example.test`,
      jwksUri: 'https://x.example.test/jwks',
    };
    const refused = { issuer: 'https://x.example.test', jwksUri: 'http://127.0.0.1/jwks' };
    await handler(event('Create', [valid, refused]), context);
    expect(answers).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'trusted issuers not registered: "jwksUri" must be an https URL',
      }),
    ]);
    expect(sent).toEqual([]);
  });

  it('deletes nothing when the resource is deleted', async () => {
    answers.length = 0;
    sent.length = 0;
    await handler(
      event('Delete', [{ issuer: 'https://x.example.test', jwksUri: 'https://x.example.test/jwks' }]),
      context,
    );
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    expect(sent).toEqual([]);
  });
});
