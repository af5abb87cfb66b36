/** `driftd init`: its options only; SSH, the inventory parsers and YAML load when it runs (commands/init.ts). */
import { Command, InvalidArgumentError } from 'commander';
import type { InitFlags } from '../commands/init.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is 1-65535');
  return n;
}

export function initCommand(): Command {
  return new Command('init')
    .description('write a config and known_hosts from one cluster node: reads its members, shows every host key fingerprint to confirm')
    .option('--node <host>', 'one node of the cluster (name or address)')
    .option(
      '--inventory <file>',
      'an Ansible inventory instead (INI, YAML or `ansible-inventory --list` JSON): each group with hosts becomes a cluster',
    )
    .option('--group <names...>', 'with --inventory: only these groups')
    .option('--port <port>', 'SSH port of the nodes', port, 22)
    .requiredOption('--identity <file>', 'the SSH private key driftd will use')
    .option('--user <name>', 'the SSH user on the nodes', 'driftd')
    .option('--cluster <name>', "the cluster's name in the config (default: corosync's cluster_name)")
    .option('--out <file>', 'the config file to write (never overwritten)', 'driftd.yaml')
    .option('--known-hosts <file>', 'the known_hosts file to write (never overwritten; default: beside --out)')
    .option(
      '--accept <fingerprints...>',
      'SHA256 fingerprints you compared out of band (comma or space separated), instead of the question',
    )
    .action(async (flags: InitFlags) => {
      const { runInit } = await import('../commands/init.js');
      process.exitCode = await runInit(flags);
    });
}
