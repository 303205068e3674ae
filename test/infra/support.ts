import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type FunctionEntry, HTTP_FUNCTIONS, QUEUE_FUNCTIONS, STREAM_FUNCTIONS } from '#commons/manifest.ts';
import { SSF_ENV } from '#commons/ssf/config.ts';
import { PROJECT_ROOT } from '#lib/service-function.ts';
import { TokenRevocationStack, type TokenRevocationStackProps } from '#lib/stack.ts';
import { TokenRevocationService, type TokenRevocationServiceProps } from '#lib/token-revocation-service.ts';

/** The feature flags and settings `cdk synth` runs with, so tests see the template users deploy. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;

/** A fixed account and region, so ARNs and URLs in assertions are the same on every machine. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

export interface Synthesized {
  readonly stack: TokenRevocationStack;
  readonly template: Template;
}

/**
 * Synthesizes the stack without bundling (assertions read the template, not the code), with cdk.json's
 * context and a fixed environment so ARNs and URLs resolve the same on every machine.
 */
export function synthesize(props: TokenRevocationStackProps = {}, context: Record<string, unknown> = {}) {
  const stack = new TokenRevocationStack(testApp(context), 'TokenRevocation', { env: TEST_ENV, ...props });
  return { stack, template: Template.fromStack(stack) } satisfies Synthesized;
}

/**
 * The construct dropped into a stack of someone else's app, as its README promises; `props` may create
 * what it needs (an imported key, a topic) in that stack first.
 */
export function synthesizeConstruct(props: (stack: Stack) => TokenRevocationServiceProps) {
  const stack = new Stack(testApp(), 'Host', { env: TEST_ENV });
  const service = new TokenRevocationService(stack, 'Service', props(stack));
  return { stack, service, template: Template.fromStack(stack) };
}

function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

/** One resource of a synthesized template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** Resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  const found = template.findResources(type) as Record<string, Partial<CfnResource>>;
  return Object.fromEntries(
    Object.entries(found).map(([id, r]) => [id, { ...r, Type: type, Properties: r.Properties ?? {} }]),
  );
}

/** The resource with that logical id; fails the test when there is none. */
export function resource(resources: Record<string, CfnResource>, id: string): CfnResource {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

/**
 * [v3] Every function the construct creates: each route, each stream consumer and the SSF deliverer (the
 * queue consumer). The authorizer is the `TokenAuthorizer`'s, not the service's.
 */
export const SERVICE_FUNCTIONS: readonly FunctionEntry[] = [
  ...HTTP_FUNCTIONS,
  ...STREAM_FUNCTIONS,
  ...QUEUE_FUNCTIONS,
];

/** Logical id of a construct's CloudFormation resource (the stream on-failure queue, the SSF queues). */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (!(child instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(child);
}

/**
 * [v3] The environment variables a manifest entry's `ssf` right adds to its function: the deliverer's
 * queue for those that send to it, the key ARNs for those that publish or sign, the default issuer for
 * the deliverer (which signs outside any request).
 */
export function ssfVariablesOf(entry: FunctionEntry): string[] {
  switch (entry.ssf) {
    case 'send':
      return [SSF_ENV.queueUrl];
    case 'keys':
      return [SSF_ENV.signingKeyIds];
    case 'sign':
      return [SSF_ENV.queueUrl, SSF_ENV.signingKeyIds, SSF_ENV.defaultIssuer];
    default:
      return [];
  }
}
