/**
 * `driftd serve`: the daemon. Collects at start and on the cron schedule, serves
 * /metrics, /healthz, /readyz and the JSON API. SIGHUP reloads, SIGTERM/SIGINT stop.
 */
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig } from '../../config/load.js';
import { Daemon, DaemonStartError } from '../../daemon/daemon.js';
import { createLogger } from '../../util/logger.js';
import { requireConfigFile } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';

export interface ServeFlags {
  config: string;
  listen?: string;
}

/**
 * The daemon's heap may grow to 1.5x what survived the last full collection. V8's default
 * lets a heap whose collections are cheap grow up to 4x: a 1000-node run kept about 35 MB
 * live yet let the heap reach 180 MB, and RSS 310 MB. 1.5x brought the peak to 220 MB at
 * no measurable CPU cost (npm run bench, fleet part). V8 reads this flag at every
 * collection, so setting it at start-up, before the daemon allocates, takes effect; the
 * parse workers (started later) inherit it.
 */
const DAEMON_HEAP_GROWING_PERCENT = 50;

export async function runServe(flags: ServeFlags): Promise<ExitCode> {
  requireConfigFile(flags.config);
  setFlagsFromString(`--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`);
  let level: Parameters<typeof createLogger>[0] = 'info';
  try {
    level = loadConfig(flags.config).config.logLevel;
  } catch {
    // Daemon.start reports the config error itself, with positions.
  }
  const logger = createLogger(level);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ configPath: flags.config, logger, ...(flags.listen !== undefined ? { listen: flags.listen } : {}) });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DaemonStartError) {
      throw new CliError(`cannot start: ${err.message}`, EXIT.undecided);
    }
    throw err;
  }
  // One bad node or parser must never take the daemon down: log it and keep serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (kept running)'));
  return new Promise<ExitCode>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping');
      process.off('SIGHUP', hup);
      daemon.stop().then(
        () => resolve(EXIT.ok),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(EXIT.internal);
        },
      );
    };
    const hup = (): void => {
      logger.info('SIGHUP: reloading configuration and rule packs');
      daemon.reload();
    };
    process.on('SIGHUP', hup);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
