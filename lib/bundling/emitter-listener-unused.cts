/**
 * Stands in for `emitter-listener` in the Lambda bundles (esbuild alias in `BUNDLING`,
 * lib/service-function.ts). Its only importer there is `cls-hooked` (the X-Ray SDK's context store), which
 * needs it only in `Namespace.bindEmitter`, to carry a context into an event emitter's listeners. Neither
 * the X-Ray SDK nor the Powertools tracer calls `bindEmitter`, so it and `shimmer` (~3.4 KiB) would never
 * run. CommonJS, like the module it replaces, which `cls-hooked` calls as a function. Fails loudly if that
 * ever changes.
 */
export = function wrapEmitter(): never {
  throw new Error('emitter-listener is not bundled: cls-hooked bindEmitter is not used here');
};
