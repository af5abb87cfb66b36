/** `driftd serve`: its options only; the daemon is loaded when it runs (commands/serve.ts). */
import { Command } from 'commander';
import type { ServeFlags } from '../commands/serve.js';
import { DEFAULT_CONFIG } from '../defaults.js';
import { parseListen } from '../listen.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the daemon: scheduled collection, Prometheus metrics and the HTTP API')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--listen <host:port>', "address for HTTP and /metrics, instead of the config's listen", parseListen)
    .action(async (flags: ServeFlags) => {
      const { runServe } = await import('../commands/serve.js');
      process.exitCode = await runServe(flags);
    });
}
