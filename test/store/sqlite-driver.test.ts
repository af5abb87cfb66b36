/**
 * The SQLite driver's one connection shared by concurrent callers (the daemon saves
 * several clusters' runs at once): transactions take turns and a plain call never runs
 * inside someone else's transaction.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteDb } from '../../src/store/sqlite-driver.js';

function open(): SqliteDb {
  const db = new SqliteDb(new Database(':memory:'));
  db.connection.exec('CREATE TABLE t (n INTEGER)');
  return db;
}

describe('SqliteDb', () => {
  it('runs transactions woken by the same commit one after another', async () => {
    const db = open();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (n) VALUES (0)');
      await gate;
    });
    // Three writers wait on the first; when it commits they all wake at once.
    const waiting = [1, 2, 3].map((n) =>
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (n) VALUES (?)', [n]);
        await Promise.resolve();
        await tx.run('INSERT INTO t (n) VALUES (?)', [n * 10]);
      }),
    );
    release();
    await Promise.all([first, ...waiting]);
    expect(await db.all('SELECT n FROM t ORDER BY rowid')).toEqual([0, 1, 10, 2, 20, 3, 30].map((n) => ({ n })));
    await db.close();
  });

  it('never runs a plain call inside a transaction that began after it was made', async () => {
    const db = open();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = db.transaction(async () => {
      await gate;
    });
    // Waiting on the first: a read, then a transaction that writes and rolls back.
    const read = db.all('SELECT n FROM t');
    const rolledBack = db
      .transaction(async (tx) => {
        await tx.run('INSERT INTO t (n) VALUES (1)');
        await Promise.resolve();
        throw new Error('rolled back');
      })
      .catch((err: unknown) => (err as Error).message);
    release();
    await first;
    expect(await read).toEqual([]);
    expect(await rolledBack).toBe('rolled back');
    expect(await db.all('SELECT n FROM t')).toEqual([]);
    await db.close();
  });
});
