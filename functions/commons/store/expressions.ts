/**
 * Update expression parts for a map of attributes, shared by the store's adapters: a `SET` of each
 * attribute under placeholder names `#s0..` and values `:s0..`.
 */
import type { Item } from './items.ts';

/** `SET` clause parts for a map of attributes (names `#s0..`, values `:s0..`). */
export function setClause(attributes: Item): string {
  return Object.keys(attributes)
    .map((_, i) => `#s${i} = :s${i}`)
    .join(', ');
}

/** The placeholder names of `setClause`. */
export function setNames(attributes: Item): Record<string, string> {
  return Object.fromEntries(Object.keys(attributes).map((name, i) => [`#s${i}`, name]));
}

/** The placeholder values of `setClause`. */
export function setValues(attributes: Item): Item {
  return Object.fromEntries(Object.values(attributes).map((value, i) => [`:s${i}`, value]));
}

/** `SET` clauses that write `attributes` only where the item has none yet: the first revocation's mark stays. */
export function keepFirst(attributes: Item): string {
  return Object.keys(attributes)
    .map((_, i) => `#s${i} = if_not_exists(#s${i}, :s${i})`)
    .join(', ');
}
