/**
 * Every row the store reads back from SQLite, and every JSON document kept in a
 * column, goes through a zod schema here instead of a cast. A row that does not fit (a
 * tampered file, a foreign or half-written database) fails loudly with a StoreError
 * naming the table, the row and the column, never as a wrong value further on.
 *
 * The schemas live beside the code that owns each row (PascalCase, named after the
 * row). They are plain objects without transforms or defaults, so a parse only checks:
 * what comes back is what SQLite returned. zod 4 compiles an object schema once, so a
 * row costs about a microsecond; see README "Store" for the measured cost.
 */
import { z } from 'zod';
import { StoreError } from './errors.js';

const ADVICE = 'the database was altered or written by another program: run `driftd history verify` and restore it from a backup';

/** The columns that name a row in a message, first present wins. */
const KEY_COLUMNS = ['id', 'run_id', 'manifest_id', 'finding_id', 'node'] as const;

function rowKey(row: unknown): string {
  if (typeof row !== 'object' || row === null) return '';
  const record = row as Record<string, unknown>;
  const keys = KEY_COLUMNS.filter((k) => typeof record[k] === 'number' || typeof record[k] === 'string').map(
    (k) => `${k}=${String(record[k])}`,
  );
  return keys.length > 0 ? ` row ${keys.slice(0, 2).join(' ')}` : '';
}

function shown(value: unknown): string {
  if (Buffer.isBuffer(value)) return `a ${value.length}-byte blob`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(error: z.ZodError, value: unknown): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      let got: unknown = value;
      for (const step of issue.path)
        got = typeof got === 'object' && got !== null ? (got as Record<PropertyKey, unknown>)[step] : undefined;
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(whole value)';
      return `${where}: ${issue.message} (found ${shown(got)})`;
    })
    .join('; ');
}

/** One row as SQLite returned it, checked against its schema. */
export function readRow<S extends z.ZodType>(schema: S, row: unknown, table: string): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  throw new StoreError('corrupt', `${table}${rowKey(row)} does not fit the schema, column ${describe(result.error, row)}; ${ADVICE}`);
}

/** `.get()`'s result: undefined (no row) or one row checked against its schema. */
export function readOptionalRow<S extends z.ZodType>(schema: S, row: unknown, table: string): z.output<S> | undefined {
  return row === undefined ? undefined : readRow(schema, row, table);
}

/** `.all()`'s result, each row checked against its schema. */
export function readRows<S extends z.ZodType>(schema: S, rows: readonly unknown[], table: string): z.output<S>[] {
  return rows.map((row) => readRow(schema, row, table));
}

/**
 * A JSON document kept in a column (`where` names table, row and column), parsed and
 * checked (by `fits` first when given, see below). The parsed value itself is returned, not zod's copy, so a document with
 * fields this version does not know comes back byte for byte as stored.
 */
export function readJson<S extends z.ZodType>(
  schema: S,
  text: string,
  where: string,
  fits?: (value: unknown) => value is z.output<S>,
): z.output<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StoreError('corrupt', `${where} is not JSON (${err instanceof Error ? err.message : String(err)}); ${ADVICE}`);
  }
  // `fits` is a hand-written check no looser than the schema, for documents read by the
  // thousand (facets of 1000 packages); zod then only runs to explain a failure.
  if (fits?.(data)) return data;
  const result = schema.safeParse(data);
  if (!result.success) throw new StoreError('corrupt', `${where} does not fit its schema: ${describe(result.error, data)}; ${ADVICE}`);
  return data as z.output<S>;
}

/** SQLite INTEGER as better-sqlite3 returns it (safe integers off). */
export const Int = z.number().int();
/** A BLOB column. */
export const Bytes = z.instanceof(Buffer);
/** `SELECT id FROM ...`: a bare row id. */
export const IdRow = z.object({ id: Int });
