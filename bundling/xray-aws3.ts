/**
 * The X-Ray SDK's AWS SDK v3 patcher (`aws-xray-sdk-core` 3.12.0: `dist/lib/patchers/aws3_p.js`, with the
 * `Aws` attributes of `segments/attributes/aws.js` and the capture of `patchers/call_capturer.js`;
 * Apache-2.0), ported line for line for the bundles' X-Ray entry (bundling/xray-sdk-core.ts), with one
 * difference: the parameters it records come from the DynamoDB section of the SDK's allow-list
 * (`bundling/xray-dynamodb-allow-list.json`, a verbatim copy), not from the allow-list of every AWS
 * service, which `call_capturer.js` loads with a `require` no esbuild alias can reach (10.4 KiB per bundle).
 * The only client the functions trace is DynamoDB's; a call of another service gets the subsegment,
 * timing, status and flags, without its service-specific parameters (as the original does for any
 * operation missing from its list).
 *
 * test/unit/bundling-stubs.test.ts fails when the installed originals or the DynamoDB section change
 * (re-port then); test/integration/bundle-tracing.test.ts compares the traces of a bundle built with this
 * and one built with the SDK's own entry.
 */
import { stringify } from 'node:querystring';
// The copy the X-Ray SDK depends on (2.x), by path: the project does not depend on it by name.
// @ts-expect-error Its declarations are in dist-types, not beside the file.
import { isThrottlingError as isThrottling } from '../node_modules/@smithy/service-error-classification/dist-es/index.js';
import contextUtils from '../node_modules/aws-xray-sdk-core/dist/lib/context_utils.js';
import logger from '../node_modules/aws-xray-sdk-core/dist/lib/logger.js';
import Subsegment from '../node_modules/aws-xray-sdk-core/dist/lib/segments/attributes/subsegment.js';
import utils from '../node_modules/aws-xray-sdk-core/dist/lib/utils.js';
import dynamodb from './xray-dynamodb-allow-list.json' with { type: 'json' };

const { safeParseInt, getCauseTypeFromHttpStatus } = utils;

/** The services whose operations' parameters are recorded, in the allow-list's format. */
const services: Record<string, { operations: Record<string, Record<string, unknown>> }> = { dynamodb };

interface SdkError {
  name?: string;
  message?: string;
  stack?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string; attempts?: number };
}

const isThrottlingError = isThrottling as (error: SdkError) => boolean;

// --- call_capturer.js: capture().

const paramTypes = {
  REQ_DESC: 'request_descriptors',
  REQ_PARAMS: 'request_parameters',
  RES_DESC: 'response_descriptors',
  RES_PARAMS: 'response_parameters',
};

interface Descriptor {
  list?: boolean;
  get_count?: boolean;
  get_keys?: boolean;
  rename_to?: string;
}

type Fields = Record<string, unknown>;

interface AwsResponse {
  extendedRequestId?: string;
  requestId?: string;
  retryCount?: number;
  data?: Fields;
  request: { operation: string; params: Fields; httpRequest: { region?: string; statusCode?: number } };
}

function capture(serviceName: string, response: AwsResponse): Fields | undefined {
  const operation = response.request.operation;
  const call = services[serviceName] !== undefined ? services[serviceName].operations[operation] : null;
  if (call === null || call === undefined) {
    logger
      .getLogger()
      .debug(
        `Call "${serviceName}.${operation}" is not whitelisted for additional data capturing. Ignoring.`,
      );
    return;
  }
  const dataCaptured: Fields = {};
  for (const paramType in call) {
    const params = call[paramType];
    if (paramType === paramTypes.REQ_PARAMS) {
      captureCallParams(params as string[], response.request.params, dataCaptured);
    } else if (paramType === paramTypes.REQ_DESC) {
      captureDescriptors(params as Record<string, Descriptor>, response.request.params, dataCaptured);
    } else if (paramType === paramTypes.RES_PARAMS) {
      if (response.data) captureCallParams(params as string[], response.data, dataCaptured);
    } else if (paramType === paramTypes.RES_DESC) {
      if (response.data)
        captureDescriptors(params as Record<string, Descriptor>, response.data, dataCaptured);
    } else {
      logger
        .getLogger()
        .error(
          `Unknown parameter type "${paramType}". Must be "request_descriptors", "response_descriptors", ` +
            '"request_parameters" or "response_parameters".',
        );
    }
  }
  return dataCaptured;
}

function captureCallParams(params: string[], call: Fields, data: Fields): void {
  for (const param of params) {
    if (typeof call[param] !== 'undefined') data[toSnakeCase(param)] = call[param];
  }
}

function captureDescriptors(descriptors: Record<string, Descriptor>, params: Fields, data: Fields): void {
  for (const paramName in descriptors) {
    const attributes = descriptors[paramName] ?? {};
    const value = params[paramName];
    if (typeof value !== 'undefined') {
      let paramData: unknown;
      if (attributes.list && attributes.get_count) {
        paramData = value ? (value as unknown[]).length : 0;
      } else {
        paramData = attributes.get_keys === true ? Object.keys(value as object) : value;
      }
      if (typeof attributes.rename_to === 'string') data[attributes.rename_to] = paramData;
      else data[toSnakeCase(paramName)] = paramData;
    }
  }
}

function toSnakeCase(param: string): string {
  if (param === 'IPAddress') return 'ip_address';
  return param
    .split(/(?=[A-Z])/)
    .join('_')
    .toLowerCase();
}

// --- segments/attributes/aws.js: the Aws class.

class Aws {
  [field: string]: unknown;
  constructor(res: AwsResponse, serviceName: string) {
    this.operation = formatOperation(res.request.operation) || '';
    if (res?.request?.httpRequest?.region) this.region = res.request.httpRequest.region;
    if (res?.requestId) this.request_id = res.requestId;
    this.retries = res.retryCount || 0;
    if (res.extendedRequestId && serviceName && serviceName.toLowerCase() === 's3') {
      this.id_2 = res.extendedRequestId;
    }
    if (serviceName) Object.assign(this, capture(serviceName.toLowerCase(), res));
  }
}

function formatOperation(operation: string): string | undefined {
  if (!operation) return;
  return operation.charAt(0).toUpperCase() + operation.slice(1);
}

// --- patchers/aws3_p.js.

const XRAY_PLUGIN_NAME = 'XRaySDKInstrumentation';

interface HttpFields {
  response?: { status?: number; content_length?: number };
}

interface Output {
  output?: { $metadata?: SdkError['$metadata'] } & Fields;
  response?: { headers?: Record<string, string | undefined> };
}

interface ClientConfig {
  region: () => Promise<string>;
}

interface SegmentLike {
  notTraced?: boolean;
  noOp?: boolean;
  trace_id: string;
  segment?: SegmentLike;
  additionalTraceData?: Record<string, string>;
  addNewSubsegment(name: string): Subsegment;
  addNewSubsegmentWithoutSampling(name: string): Subsegment;
}

const buildAttributesFromMetadata = async (
  service: string,
  operation: string,
  region: string,
  commandInput: Fields,
  res: Output | null,
  error: SdkError | null,
): Promise<[Aws, HttpFields]> => {
  const {
    extendedRequestId,
    requestId,
    httpStatusCode: statusCode,
    attempts,
  } = res?.output?.$metadata || error?.$metadata || {};
  const aws = new Aws(
    {
      extendedRequestId,
      requestId,
      retryCount: attempts,
      data: res?.output,
      request: { operation, params: commandInput, httpRequest: { region, statusCode } },
    },
    service,
  );
  const http: HttpFields = {};
  if (statusCode) {
    http.response = {};
    http.response.status = statusCode;
  }
  if (res?.response?.headers && res?.response?.headers['content-length'] !== undefined) {
    if (!http.response) http.response = {};
    http.response.content_length = safeParseInt(res.response.headers['content-length']);
  }
  return [aws, http];
};

function addFlags(http: HttpFields, subsegment: Subsegment, err?: SdkError): void {
  if (err && isThrottlingError(err)) {
    subsegment.addThrottleFlag();
  } else if (
    safeParseInt(http.response?.status as number) === 429 ||
    safeParseInt(err?.$metadata?.httpStatusCode as number) === 429
  ) {
    subsegment.addThrottleFlag();
  }
  const cause = getCauseTypeFromHttpStatus(safeParseInt(http.response?.status as number));
  if (cause === 'fault') subsegment.addFaultFlag();
  else if (cause === 'error') subsegment.addErrorFlag();
}

type Next = (args: { input?: Fields; request: { headers: Record<string, string> } }) => Promise<Output>;

const getXRayMiddleware =
  (config: ClientConfig, manualSegment?: SegmentLike) =>
  (next: Next, context: { clientName: string; commandName: string }) =>
  async (args: Parameters<Next>[0]) => {
    const segment = (contextUtils.isAutomaticMode() ? contextUtils.resolveSegment() : manualSegment) as
      | SegmentLike
      | undefined;
    const { clientName, commandName } = context;
    const commandInput = args?.input ?? {};
    const commandOperation = commandName.slice(0, -7); // Strip trailing "Command" string
    const operation = commandOperation.charAt(0).toLowerCase() + commandOperation.slice(1);
    const service = clientName.slice(0, -6); // Strip trailing "Client" string
    if (!segment) {
      const output = `${service}.${operation}`;
      if (!contextUtils.isAutomaticMode()) {
        logger
          .getLogger()
          .info(
            `Call ${output} requires a segment object passed to captureAWSv3Client for tracing in manual mode. Ignoring.`,
          );
      } else {
        logger
          .getLogger()
          .info(`Call ${output} is missing the sub/segment context for automatic mode. Ignoring.`);
      }
      return next(args);
    }
    const subsegment = segment.notTraced
      ? segment.addNewSubsegmentWithoutSampling(service)
      : segment.addNewSubsegment(service);
    subsegment.addAttribute('namespace', 'aws');
    const parent = (segment instanceof Subsegment ? segment.segment : segment) as SegmentLike;
    const data = parent.segment ? parent.segment.additionalTraceData : parent.additionalTraceData;
    let traceHeader = stringify(
      { Root: parent.trace_id, Parent: subsegment.id, Sampled: subsegment.notTraced ? '0' : '1' },
      ';',
    );
    if (data != null) {
      for (const [key, value] of Object.entries(data)) traceHeader += `;${key}=${value}`;
    }
    if (!segment.noOp) args.request.headers['X-Amzn-Trace-Id'] = traceHeader;
    let res: Output;
    try {
      res = await next(args);
      if (!res) throw new Error('Failed to get response from instrumented AWS Client.');
      const [aws, http] = await buildAttributesFromMetadata(
        service,
        operation,
        await config.region(),
        commandInput,
        res,
        null,
      );
      subsegment.addAttribute('aws', aws);
      subsegment.addAttribute('http', http);
      addFlags(http, subsegment);
      subsegment.close();
      return res;
    } catch (caught) {
      const err = caught as SdkError;
      if (err.$metadata) {
        const [aws, http] = await buildAttributesFromMetadata(
          service,
          operation,
          await config.region(),
          commandInput,
          null,
          err,
        );
        subsegment.addAttribute('aws', aws);
        subsegment.addAttribute('http', http);
        addFlags(http, subsegment, err);
      }
      const errObj = { message: err.message, name: err.name, stack: err.stack || new Error().stack };
      subsegment.close(errObj as Error, true);
      throw err;
    }
  };

const xRayMiddlewareOptions = { name: XRAY_PLUGIN_NAME, step: 'build' };

interface Client {
  config: ClientConfig;
  middlewareStack: {
    remove(name: string): unknown;
    use(plugin: { applyToStack(stack: { add(middleware: unknown, options: unknown): void }): void }): void;
  };
}

/**
 * Instruments an AWS SDK v3 client with X-Ray via middleware (`captureAWSClient` of aws3_p.js).
 *
 * @param client - AWS SDK v3 client to instrument.
 * @param manualSegment - Parent segment or subsegment, for manual mode.
 * @returns The client with the X-Ray middleware added to its middleware stack.
 */
export function captureAWSClient<T>(client: T, manualSegment?: SegmentLike): T {
  const target = client as unknown as Client;
  // Remove existing middleware to ensure operation is idempotent
  target.middlewareStack.remove(XRAY_PLUGIN_NAME);
  target.middlewareStack.use({
    applyToStack: (stack) =>
      stack.add(getXRayMiddleware(target.config, manualSegment), xRayMiddlewareOptions),
  });
  return client;
}
