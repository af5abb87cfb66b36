/** What every command needs first: the config, loaded with positions in its errors. */
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
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
