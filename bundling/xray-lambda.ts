/**
 * The X-Ray SDK's Lambda start-up (`aws-xray-sdk-core` 3.12.0, `dist/lib/env/aws_lambda.js`, Apache-2.0),
 * ported line for line for the bundles' X-Ray entry (bundling/xray-sdk-core.ts), with one difference:
 * it does not load the SDK's sampling middleware (`middleware/mw_utils.js` and the centralized sampling
 * rule pollers, ~15 KiB per bundle) only to switch centralized sampling off, as the original does. Inside
 * Lambda nothing samples: Lambda decides, and the facade segment below carries its decision from
 * `_X_AMZN_TRACE_ID` to every subsegment. Nothing else in the bundles loads the sampling middleware.
 *
 * test/unit/bundling-stubs.test.ts fails when the installed original changes (re-port it then), and
 * test/integration/bundle-tracing.test.ts compares the traces of a bundle built with this and one built
 * with the SDK's own entry.
 */
import contextUtils from '../node_modules/aws-xray-sdk-core/dist/lib/context_utils.js';
import logger from '../node_modules/aws-xray-sdk-core/dist/lib/logger.js';
import SegmentEmitter from '../node_modules/aws-xray-sdk-core/dist/lib/segment_emitter.js';
import TraceID from '../node_modules/aws-xray-sdk-core/dist/lib/segments/attributes/trace_id.js';
import Segment from '../node_modules/aws-xray-sdk-core/dist/lib/segments/segment.js';
import SegmentUtils from '../node_modules/aws-xray-sdk-core/dist/lib/segments/segment_utils.js';
import utils from '../node_modules/aws-xray-sdk-core/dist/lib/utils.js';

/** The facade segment's fields and methods this module sets or calls, which the SDK types do not list. */
type Facade = Segment & {
  [key: string]: unknown;
  trace_id: string;
  id: string;
  in_progress: boolean;
  counter: number;
  notTraced?: boolean;
  facade: boolean;
  subsegments?: unknown;
  isClosed: () => boolean;
  reset: () => void;
  resolveLambdaTraceData: () => void;
};

/** The runtime's per-invocation store (Lambda Managed Instances), when there is one. */
interface InvokeStoreHolder {
  awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } };
}

const { LambdaUtils } = utils;

/** The last trace header the facade segment took its trace data from. */
let xAmznTraceIdPrev: string | null = null;

/** `init()` of aws_lambda.js, less `mwUtils.disableCentralizedSampling()` (see above). */
export function init(): void {
  (contextUtils as { enableManualMode: () => void }).enableManualMode = () => {
    logger.getLogger().warn('AWS Lambda does not support AWS X-Ray manual mode.');
  };
  SegmentEmitter.disableReusableSocket();
  SegmentUtils.setStreamingThreshold(0);
  const namespace = contextUtils.getNamespace();
  namespace.enter(namespace.createContext());
  contextUtils.setSegment(facadeSegment());
}

function facadeSegment(): Facade {
  const segment = new Segment('facade') as Facade;
  const whitelistFcn = [
    'addNewSubsegment',
    'addSubsegment',
    'removeSubsegment',
    'toString',
    'addSubsegmentWithoutSampling',
    'addNewSubsegmentWithoutSampling',
  ];
  const silentFcn = ['incrementCounter', 'decrementCounter', 'isClosed', 'close', 'format', 'flush'];
  const xAmznTraceId = process.env._X_AMZN_TRACE_ID;
  // for...in, as the original: the segment's methods are on its prototype.
  for (const key in segment) {
    if (typeof segment[key] === 'function' && whitelistFcn.indexOf(key) === -1) {
      if (silentFcn.indexOf(key) === -1) {
        segment[key] = function facade() {
          logger
            .getLogger()
            .warn(
              `Function "${key}" cannot be called on an AWS Lambda segment. Please use a subsegment to record data.`,
            );
          return;
        };
      } else {
        segment[key] = function facade() {
          return;
        };
      }
    }
  }
  segment.trace_id = TraceID.Invalid().toString();
  segment.isClosed = () => true;
  segment.in_progress = false;
  segment.counter = 1;
  segment.notTraced = true;
  segment.facade = true;
  segment.reset = function reset(this: Facade) {
    this.trace_id = TraceID.Invalid().toString();
    this.id = '00000000';
    delete this.subsegments;
    this.notTraced = true;
  };
  segment.resolveLambdaTraceData = function resolveLambdaTraceData(this: Facade) {
    const invokeStore = (globalThis as InvokeStoreHolder).awslambda?.InvokeStore;
    const traceIdFromInvokeStore = invokeStore?.getXRayTraceId();
    const traceIdFromEnv = process.env._X_AMZN_TRACE_ID;
    const xAmznLambda = traceIdFromInvokeStore ?? traceIdFromEnv;
    if (xAmznLambda) {
      // This check resets the trace data whenever a new trace header is read to not leak data between invocations
      if (xAmznLambda !== xAmznTraceIdPrev) {
        this.reset();
        if (LambdaUtils.populateTraceData(segment, xAmznLambda)) {
          xAmznTraceIdPrev = xAmznLambda;
        }
      }
    } else {
      this.reset();
      (
        contextUtils as unknown as { contextMissingStrategy: { contextMissing: (message: string) => void } }
      ).contextMissingStrategy.contextMissing(
        'Missing AWS Lambda trace data for X-Ray. ' +
          'Ensure Active Tracing is enabled and no subsegments are created outside the function handler.',
      );
    }
  };
  // Test for valid trace data during SDK startup. It's likely we're still in the cold-start portion of the
  // code at this point and a valid trace header has not been set
  if (LambdaUtils.validTraceData(xAmznTraceId)) {
    if (xAmznTraceId && LambdaUtils.populateTraceData(segment, xAmznTraceId)) {
      xAmznTraceIdPrev = xAmznTraceId;
    }
  }
  return segment;
}
