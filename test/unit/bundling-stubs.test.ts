/**
 * The reasons the bundle stubs in bundling/ are safe, checked against the installed dependencies, so
 * that a dependency update that makes one of them wrong fails here (test/integration/bundle-tracing.test.ts
 * runs the built bundles themselves).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as ddb from '@aws-sdk/client-dynamodb';
import { NormalizedSchema } from '@smithy/core/schema';
import realXray from 'aws-xray-sdk-core';
import { describe, expect, it } from 'vitest';
import { EndpointCache } from '#bundling/endpoint-cache-unused.ts';
import { EventStreamSerde, eventStreamSerdeProvider } from '#bundling/event-streams-unused.ts';
import dynamodbAllowList from '#bundling/xray-dynamodb-allow-list.json' with { type: 'json' };
import xray, { XRAY_SDK } from '#bundling/xray-sdk-core.ts';
import { PROJECT_ROOT } from '#lib/service-function.ts';

const modules = path.join(PROJECT_ROOT, 'node_modules');
const read = (file: string) => fs.readFileSync(path.join(modules, file), 'utf8');

/** Every `.js` file under a folder of node_modules. */
function sources(folder: string): string[] {
  const dir = path.join(modules, folder);
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.js'))
    .map((file) => path.join(folder, file));
}

const POWERTOOLS = ['logger', 'metrics', 'tracer', 'commons'].map(
  (p) => `@aws-lambda-powertools/${p}/lib/esm`,
);

describe('X-Ray SDK entry (bundling/xray-sdk-core.ts)', () => {
  // The members the Powertools tracer takes from the SDK's namespace object, read from its source.
  const taken = ['tracer/lib/esm/provider/ProviderService.js', 'tracer/lib/esm/Tracer.js'].flatMap((file) => {
    const source = read(`@aws-lambda-powertools/${file}`);
    return [...source.matchAll(/const \{([^}]+)\} = xraySdk;/g)].flatMap(([, list]) =>
      (list ?? '')
        .split(',')
        .map((item) => item.split(':')[0]?.trim() ?? '')
        .filter(Boolean),
    );
  });

  it("has every member the Powertools tracer reads, and the tracer reads it only through the entry's default", () => {
    expect(taken).toEqual(
      expect.arrayContaining(['captureAWSv3Client', 'getSegment', 'Segment', 'Subsegment']),
    );
    for (const member of taken) expect(xray, member).toHaveProperty(member);
    const imports = POWERTOOLS.flatMap(sources).flatMap((file) =>
      [...read(file).matchAll(/^import (.+) from 'aws-xray-sdk-core[^']*';$/gm)].map(([, what]) => what),
    );
    expect(imports).toEqual(['xraySdk', 'xraySdk']);
  });

  it("passes on the X-Ray SDK's own functions and classes, from the same files", () => {
    const left = ['captureAWS', 'captureAWSClient', 'captureHTTPsGlobal'];
    const ported = ['captureAWSv3Client'];
    for (const [member, value] of Object.entries(xray)) {
      if (left.includes(member) || ported.includes(member)) continue;
      expect(value, member).toBe(realXray[member as keyof typeof realXray]);
    }
    expect(xray.captureAWSv3Client).not.toBe(realXray.captureAWSv3Client);
  });

  // The ports (bundling/xray-lambda.ts, xray-aws3.ts) follow these files of the installed SDK: re-port
  // them when one changes.
  it.each([
    ['env/aws_lambda.js', '6a0cc939d27f5d9490de458779205fa30d70788e84dc510bccd9102dd9d71317'],
    ['patchers/aws3_p.js', 'c272ea08c2a6973a0ac42433e716aeb1b63547c03d10b6ef23ed2bfb827d71a4'],
    ['segments/attributes/aws.js', 'c182472775a16de9afb8229f10ce5656cc3b82d92e5b99a22f142d36ee5ef541'],
    ['patchers/call_capturer.js', 'dc584b5558f9c9ff29f1ffc8bb161849d18eea3df0da9ea77c6cd40f389c5ec0'],
  ])('ports %s of the installed X-Ray SDK, unchanged', (file, sha256) => {
    const installed = JSON.parse(read('aws-xray-sdk-core/package.json')) as { name: string; version: string };
    expect(installed).toMatchObject(XRAY_SDK);
    const original = read(`aws-xray-sdk-core/dist/lib/${file}`);
    expect(createHash('sha256').update(original).digest('hex')).toBe(sha256);
  });

  it('leaves out of the Lambda start-up only what switches centralized sampling off', () => {
    const original = read('aws-xray-sdk-core/dist/lib/env/aws_lambda.js');
    expect(original).toMatch(/mwUtils\.disableCentralizedSampling\(\);/);
    expect(original.match(/mwUtils/g)).toHaveLength(2);
  });

  it("records DynamoDB calls' parameters by a verbatim copy of the allow-list's DynamoDB section", () => {
    const allowList = JSON.parse(read('aws-xray-sdk-core/dist/lib/resources/aws_whitelist.json')) as {
      services: Record<string, unknown>;
    };
    expect(dynamodbAllowList).toEqual(allowList.services.dynamodb);
    expect(Object.keys(dynamodbAllowList.operations)).toEqual(
      expect.arrayContaining(['getItem', 'putItem', 'updateItem', 'deleteItem', 'query', 'batchGetItem']),
    );
  });

  it('throws, naming itself, where it leaves the SDK v2 and http patchers out', () => {
    expect(() => xray.captureAWS()).toThrow(/captureAWS is not bundled .*xray-sdk-core\.ts/);
    expect(() => xray.captureAWSClient()).toThrow(/not bundled/);
    expect(() => xray.captureHTTPsGlobal()).toThrow(/captureHTTPsRequests: false/);
  });
});

describe('event-stream stub (bundling/event-streams-unused.ts)', () => {
  it('DynamoDB has no streaming member in any structure of its model', () => {
    // The check itself sees a streaming blob member.
    const probe = NormalizedSchema.of([3, 'probe', 'Streamed', 0, ['Body'], [42]]);
    expect([...probe.structIterator()].map(([, member]) => member.isStreaming())).toEqual([true]);

    const structures = Object.entries(ddb)
      .filter(([name]) => name.endsWith('$'))
      .map(([, schema]) => NormalizedSchema.of(schema as Parameters<typeof NormalizedSchema.of>[0]))
      .filter((schema) => schema.isStructSchema());
    expect(structures.length).toBeGreaterThan(200);
    const streaming = structures.flatMap((schema) =>
      [...schema.structIterator()].filter(([, member]) => member.isStreaming()).map(([name]) => name),
    );
    expect(streaming).toEqual([]);
  });

  it('the SDK loads the codec only on demand, when a protocol meets an event stream', () => {
    const importers = sources('@smithy/core/dist-es')
      .concat(sources('@aws-sdk/core/dist-es'))
      .filter((file) => !file.includes('/event-streams/'))
      .filter((file) => read(file).includes('@smithy/core/event-streams'));
    expect(importers).toEqual(['@smithy/core/dist-es/submodules/protocols/HttpProtocol.js']);
    expect(read(importers[0] ?? '')).toMatch(/await import\("@smithy\/core\/event-streams"\)/);
  });

  it('throws if it is ever asked for a codec', () => {
    expect(() => eventStreamSerdeProvider()).toThrow(/not bundled/);
    expect(() => new EventStreamSerde()).toThrow(/not bundled/);
  });
});

describe('endpoint cache stub (bundling/endpoint-cache-unused.ts)', () => {
  it('no DynamoDB command installs endpoint discovery, the only user of the cache', () => {
    const uses = sources('@aws-sdk/client-dynamodb/dist-es').filter((file) =>
      /getEndpointDiscovery|endpointCache/.test(read(file)),
    );
    expect(uses).toEqual([]);
    // What commands add to the client's middleware: nothing.
    expect(read('@aws-sdk/client-dynamodb/dist-es/commandBuilder.js')).toContain(
      'export const _mw0 = (Command, cs, config, o) => [];',
    );
    const commands = sources('@aws-sdk/client-dynamodb/dist-es/commands');
    expect(commands.length).toBeGreaterThan(50);
    for (const file of commands.filter((f) => !f.endsWith('index.js'))) {
      expect(read(file), file).toMatch(/command\(_ep\d+, _mw0, /);
    }
  });

  it('can be built, as the client does, and throws on any use', () => {
    const cache = new EndpointCache(1000);
    expect(() => cache.getEndpoint('key')).toThrow(/not bundled/);
    expect(() => cache.has('key')).toThrow(/not bundled/);
    expect(() => cache.set('key', [])).toThrow(/not bundled/);
  });
});

describe('emitter-listener stub (bundling/emitter-listener-unused.cjs)', () => {
  it("neither the X-Ray SDK nor Powertools binds an emitter to cls-hooked's context", () => {
    const callers = sources('aws-xray-sdk-core/dist/lib')
      .concat(POWERTOOLS.flatMap(sources))
      .filter((file) => read(file).includes('bindEmitter'));
    expect(callers).toEqual([]);
    // cls-hooked itself needs it in bindEmitter only.
    const context = read('cls-hooked/context.js');
    expect(context.match(/wrapEmitter\(/g)).toHaveLength(1);
    expect(context.indexOf('wrapEmitter(')).toBeGreaterThan(context.indexOf('bindEmitter = function'));
  });

  it('throws if it is ever called', () => {
    const wrapEmitter = createRequire(import.meta.url)('../../bundling/emitter-listener-unused.cjs');
    expect(() => (wrapEmitter as () => never)()).toThrow(/not bundled/);
  });
});
