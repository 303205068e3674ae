/**
 * A recording proxy in front of DynamoDB Local: every DynamoDB call that passes through it is sent on
 * with `ReturnConsumedCapacity: INDEXES` and recorded with what it asked for and the capacity DynamoDB
 * Local reports. It sits on the wire, so it records whatever client sent the call (handlers, stream
 * functions) without touching their code; DynamoDB Local does not check request signatures, so adding the
 * field to a signed body is harmless. Streams calls (the local stream readers' polling) pass unrecorded.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The operations that take `ReturnConsumedCapacity`. */
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

/** DynamoDB's ConsumedCapacity, as much of it as this file reads. */
export interface ConsumedCapacity {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
  readonly ReadCapacityUnits?: number;
  readonly WriteCapacityUnits?: number;
  readonly Table?: { readonly CapacityUnits?: number };
  readonly GlobalSecondaryIndexes?: Record<string, { readonly CapacityUnits?: number }>;
}

export interface RecordedCall {
  /** Epoch milliseconds (fractional) when the proxy received the call. */
  readonly at: number;
  /** `PutItem`, `TransactWriteItems`, ... */
  readonly operation: string;
  readonly status: number;
  /** Keys asked for per table (BatchGetItem), or 1. */
  readonly keys: number;
  readonly consistent: boolean;
  /** Actions of a transaction, or request kinds of a batch write (`Put`, `ConditionCheck`, `DeleteRequest`). */
  readonly actions: readonly string[];
  readonly indexName?: string;
  /** What DynamoDB Local reported, one entry per table. */
  readonly consumed: readonly ConsumedCapacity[];
}

export interface CapacityProxy {
  readonly endpoint: string;
  /** Every call recorded so far, in arrival order. */
  readonly calls: readonly RecordedCall[];
  close(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

function describe(
  operation: string,
  input: Record<string, unknown>,
): Pick<RecordedCall, 'keys' | 'consistent' | 'actions' | 'indexName'> {
  const requestItems = input.RequestItems as
    | Record<string, { Keys?: unknown[]; ConsistentRead?: boolean } | unknown[]>
    | undefined;
  if (operation === 'BatchGetItem' && requestItems) {
    const tables = Object.values(requestItems) as { Keys?: unknown[]; ConsistentRead?: boolean }[];
    return {
      keys: tables.reduce((sum, table) => sum + (table.Keys?.length ?? 0), 0),
      consistent: tables.every((table) => table.ConsistentRead === true),
      actions: [],
    };
  }
  if (operation === 'BatchWriteItem' && requestItems) {
    const requests = Object.values(requestItems).flat() as Record<string, unknown>[];
    return { keys: requests.length, consistent: false, actions: requests.flatMap((r) => Object.keys(r)) };
  }
  const transactItems = input.TransactItems as Record<string, unknown>[] | undefined;
  if (transactItems) {
    return {
      keys: transactItems.length,
      consistent: true,
      actions: transactItems.flatMap((t) => Object.keys(t)),
    };
  }
  return {
    keys: 1,
    consistent: input.ConsistentRead === true,
    actions: [],
    ...(typeof input.IndexName === 'string' && { indexName: input.IndexName }),
  };
}

/** Starts the proxy on a free loopback port, forwarding to `target` (DynamoDB Local's endpoint). */
export async function startCapacityProxy(target: string): Promise<CapacityProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = now();
      let body = Buffer.concat(chunks);
      const amzTarget = String(request.headers['x-amz-target'] ?? '');
      const operation = amzTarget.startsWith('DynamoDB_20120810.') ? amzTarget.slice(18) : undefined;
      let input: Record<string, unknown> | undefined;
      if (operation && CAPACITY_OPERATIONS.has(operation)) {
        input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'INDEXES';
        body = Buffer.from(JSON.stringify(input));
      }
      const headers = { ...request.headers, 'content-length': String(body.length), host: upstream.host };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
        (answer) => {
          const out: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => out.push(chunk));
          answer.on('end', () => {
            const payload = Buffer.concat(out);
            if (operation && input) {
              let consumed: ConsumedCapacity[] = [];
              try {
                const parsed = JSON.parse(payload.toString('utf8')) as {
                  ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
                };
                const reported = parsed.ConsumedCapacity;
                consumed = reported === undefined ? [] : Array.isArray(reported) ? reported : [reported];
              } catch {
                // Not JSON: recorded with nothing consumed.
              }
              calls.push({
                at,
                operation,
                status: answer.statusCode ?? 0,
                ...describe(operation, input),
                consumed,
              });
            }
            // The SDK checks the body against x-amz-crc32, so it goes back byte for byte.
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(payload);
          });
        },
      );
      forward.on('error', () => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
