/**
 * Stands in for `emitter-listener` in the Lambda bundles (esbuild alias in `BUNDLING`,
 * bundling/options.ts). Its only importer there is `cls-hooked` (the X-Ray SDK's context store), which
 * needs it only in `Namespace.bindEmitter`, to carry a context into an event emitter's listeners. Neither
 * the X-Ray SDK nor the Powertools tracer calls `bindEmitter` (test/unit/bundling-stubs.test.ts), so it
 * and `shimmer` (~3.4 KiB) would never run. CommonJS like the module it replaces, which `cls-hooked`
 * `require`s and calls as a function. Fails loudly if that ever changes.
 */
module.exports = function wrapEmitter() {
  throw new Error('emitter-listener is not bundled: cls-hooked bindEmitter is not used here');
};
