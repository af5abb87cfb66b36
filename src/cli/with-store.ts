/** Opening the configured store for one command (history, --stored, rules explain). */
import { DatabaseConfigError, databaseMayHoldHistory, databaseOf, openStoreOf } from '../config/database.js';
import type { LoadedConfig } from '../config/load.js';
import { StoreError, type Store } from '../store/index.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Opens the configured store for one command and closes it after. A missing database or
 * one the store refuses (newer schema, corrupt, unreachable) is a user-facing error (exit 2).
 */
export async function withStore<T>(loaded: LoadedConfig, use: (store: Store) => T | Promise<T>, readonly = true): Promise<T> {
  if (!databaseMayHoldHistory(loaded)) {
    throw new CliError(
      `nothing stored yet: no database at ${databaseOf(loaded).shown}; run \`driftd serve\` first (it stores every run)`,
      EXIT.undecided,
    );
  }
  let store: Store;
  try {
    store = await openStoreOf(loaded, { readonly });
  } catch (err) {
    if (err instanceof StoreError || err instanceof DatabaseConfigError) throw new CliError(err.message, EXIT.undecided);
    throw err;
  }
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
