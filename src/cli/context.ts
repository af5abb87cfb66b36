/** What every command needs first: the config, loaded with positions in its errors. */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, resolveFromConfig, type LoadedConfig } from '../config/load.js';
import { Store, StoreError } from '../store/index.js';
import { CliError, EXIT } from './exit-codes.js';

export const DEFAULT_CONFIG = process.env['DRIFTD_CONFIG'] ?? '/etc/driftd/driftd.yaml';

export function loadConfigOrExit(file: string): LoadedConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`invalid configuration:\n${err.message}`, EXIT.undecided);
    throw err;
  }
}

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
