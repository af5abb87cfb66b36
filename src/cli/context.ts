/**
 * What every command needs first: the config, loaded with positions in its errors.
 * The store is opened by with-store.ts, so that a command that never reads history
 * (collect) does not load it.
 */
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { CliError, EXIT } from './exit-codes.js';

export { DEFAULT_CONFIG } from './defaults.js';

export function loadConfigOrExit(file: string): LoadedConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`invalid configuration:\n${err.message}`, EXIT.undecided);
    throw err;
  }
}
