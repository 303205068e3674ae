/**
 * Lambda event filtering, locally: the manifest's stream filters (`trigger.filters`) decide which records
 * reach a stream function, as they do on the event source mapping on AWS. Only the subset of the
 * EventBridge pattern syntax that Lambda supports for streams and the manifest uses: value lists,
 * `{prefix}` and `{exists}`.
 */
import type { FilterPattern, FilterValue } from '#commons/manifest.ts';

/** The absent field, told apart from a present `undefined`-free JSON value. */
const ABSENT = Symbol('absent');

function isPatternObject(node: FilterPattern[string]): node is FilterPattern {
  return !Array.isArray(node);
}

/**
 * One value of a list against a leaf of the record. Strings match strings only (EventBridge never
 * coerces: `"1"` is not `1`); an array in the record matches when any element does.
 */
function matchesValue(expected: FilterValue, actual: unknown): boolean {
  if (typeof expected === 'object' && 'exists' in expected) {
    // Exists applies to leaves only: an object where a leaf is expected is not "there".
    const present = actual !== ABSENT && (typeof actual !== 'object' || actual === null);
    return expected.exists ? present : !present;
  }
  if (actual === ABSENT) return false;
  if (Array.isArray(actual)) return actual.some((element) => matchesValue(expected, element));
  if (typeof expected === 'string') return actual === expected;
  return typeof actual === 'string' && actual.startsWith(expected.prefix);
}

function matchesPattern(pattern: FilterPattern, record: unknown): boolean {
  return Object.entries(pattern).every(([field, node]) => {
    const value =
      typeof record === 'object' && record !== null && field in record
        ? (record as Record<string, unknown>)[field]
        : ABSENT;
    if (isPatternObject(node)) {
      // A nested pattern under a missing field can still match when all it asks is that leaves be absent.
      return matchesPattern(node, value === ABSENT || typeof value !== 'object' ? {} : value);
    }
    return node.some((expected) => matchesValue(expected, value));
  });
}

/**
 * Whether a stream record (in the shape Lambda delivers it) passes an event source mapping's filters:
 * any pattern matching lets it through (patterns are OR-ed); no filters let everything through.
 */
export function passesFilters(filters: readonly FilterPattern[], record: unknown): boolean {
  return filters.length === 0 || filters.some((pattern) => matchesPattern(pattern, record));
}
