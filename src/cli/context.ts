/** What every command needs first: the config, loaded with positions in its errors. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, resolveFromConfig, type LoadedConfig } from '../config/load.js';
import { Store, StoreError } from '../store/index.js';
import { CliError, EXIT } from './exit-codes.js';

const FALLBACK_CONFIG = '/etc/driftd/driftd.yaml';
export const DEFAULT_CONFIG = process.env['DRIFTD_CONFIG'] ?? FALLBACK_CONFIG;

/**
 * A config file that is not there: say where driftd looked and how to point it elsewhere.
 * (Other read failures, e.g. a directory or no permission, keep the loader's message.)
 */
export function requireConfigFile(file: string): void {
  if (existsSync(file)) return;
  const from =
    process.env['DRIFTD_CONFIG'] === file
      ? ' (from DRIFTD_CONFIG)'
      : file === FALLBACK_CONFIG
        ? ' (the default when neither --config nor DRIFTD_CONFIG is given)'
        : '';
  throw new CliError(
    `no configuration file at ${path.resolve(file)}${from}; pass one with --config FILE or set DRIFTD_CONFIG=FILE (see README "Configuration"; examples/demo.yaml is a working example)`,
    EXIT.undecided,
  );
}

export function loadConfigOrExit(file: string): LoadedConfig {
  requireConfigFile(file);
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
