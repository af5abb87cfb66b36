/** Query helpers shared by the store's modules. */

/**
 * One condition of a query: it joins the WHERE clause when its value is given; `true`
 * adds a condition that takes no parameter, `false` and undefined leave it out.
 */
export type Condition = readonly [sql: string, value: string | boolean | undefined];

/** `WHERE a AND b ...` (or '') and its parameters, in order. */
export function whereClause(conditions: readonly Condition[]): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  for (const [sql, value] of conditions) {
    if (value === undefined || value === false) continue;
    clauses.push(sql);
    if (value !== true) params.push(value);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * Hashes per lookup and rows per multi-row INSERT: each statement stays well under
 * SQLite's and PostgreSQL's bound-parameter limits (32766 and 65535).
 */
export const ROWS_PER_STATEMENT = 200;

/** `items` in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** `count` copies of `item` joined by commas: an `IN (...)` list or a multi-row `VALUES` list. */
export function sqlList(count: number, item = '?'): string {
  return Array.from({ length: count }, () => item).join(', ');
}
