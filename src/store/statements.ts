/**
 * Prepared statements, compiled once per connection: saveRun issues the same few
 * statements for every facet of every node, and compiling SQL each time showed up.
 */
import type Database from 'better-sqlite3';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

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
