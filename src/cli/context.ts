/**
 * What every command needs first: the config, loaded with positions in its errors.
 * The store is opened by with-store.ts, so that a command that never reads history
 * (collect) does not load it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { FALLBACK_CONFIG } from './defaults.js';
import { CliError, EXIT } from './exit-codes.js';

export { DEFAULT_CONFIG } from './defaults.js';

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
