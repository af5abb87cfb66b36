/**
 * `target.push(...source)` passes every element as an argument and throws RangeError
 * ("Maximum call stack size exceeded") past roughly 100k elements. Node-supplied lists
 * (items of a hostile node) can be that long, so core code appends with a loop.
 */
export function appendAll<T>(target: T[], source: Iterable<T>): T[] {
  for (const item of source) target.push(item);
  return target;
}
