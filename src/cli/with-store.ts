/** Opening the configured store for one command (history, --stored, rules explain). */
import { existsSync } from 'node:fs';
import { resolveFromConfig, type LoadedConfig } from '../config/load.js';
import { Store, StoreError } from '../store/index.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Opens the configured store for one command and closes it after. A missing database or
 * one the store refuses (newer schema, corrupt) is a user-facing error (exit 2).
 */
export function withStore<T>(loaded: LoadedConfig, use: (store: Store) => T, readonly = true): T {
  const file = resolveFromConfig(loaded, loaded.config.database);
  if (!existsSync(file)) {
    throw new CliError(`nothing stored yet: no database at ${file}; run \`driftd serve\` first (it stores every run)`, EXIT.undecided);
  }
  let store: Store;
  try {
    store = Store.open(file, { readonly });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message, EXIT.undecided);
    throw err;
  }
  try {
    return use(store);
  } finally {
    store.close();
  }
}
