/** Config -> Transport. Relative paths in a node's config resolve against the config file's directory. */
import { isAbsolute, resolve } from 'node:path';
import type { NodeConfig, SshOptions } from '../config/schema.js';
import { LocalTransport } from './local.js';
import { ReplayTransport } from './replay.js';
import { SshTransport } from './ssh.js';
import { TransportError, type Transport } from './transport.js';

export interface TransportFactoryOptions {
  /** Directory of the config file. */
  configDir: string;
}

/** `ssh` is the node's effective options: `effectiveSsh(config, node)`. */
export function createTransport(node: NodeConfig, ssh: SshOptions, opts: TransportFactoryOptions): Transport {
  const fromConfig = (raw: string): string => {
    const path = expandCredentialsDirectory(raw, node.name);
    return isAbsolute(path) ? path : resolve(opts.configDir, path);
  };
  switch (node.transport) {
    case 'ssh': {
      if (!node.host) throw new TransportError('config', `node ${node.name}: an ssh node needs a host`);
      return new SshTransport({
        node: node.name,
        host: node.host,
        port: node.port ?? ssh.port,
        user: ssh.user,
        identityFile: ssh.identityFile === undefined ? undefined : fromConfig(ssh.identityFile),
        agent: ssh.agent,
        knownHosts: fromConfig(ssh.knownHosts),
        connectTimeoutSeconds: ssh.connectTimeoutSeconds,
        commandTimeoutSeconds: ssh.commandTimeoutSeconds,
        keepaliveSeconds: ssh.keepaliveSeconds,
        maxOutputBytes: ssh.maxOutputBytes,
        sudo: ssh.sudo,
      });
    }
    case 'local':
      return new LocalTransport({
        node: node.name,
        commandTimeoutSeconds: ssh.commandTimeoutSeconds,
        maxOutputBytes: ssh.maxOutputBytes,
        sudo: ssh.sudo,
      });
    case 'replay': {
      if (!node.path) throw new TransportError('config', `node ${node.name}: a replay node needs a path`);
      return new ReplayTransport({ node: node.name, dir: fromConfig(node.path) });
    }
  }
}

/**
 * systemd's LoadCredential hands the SSH key over in $CREDENTIALS_DIRECTORY, whose path
 * is only known at run time; `identityFile: ${CREDENTIALS_DIRECTORY}/ssh_key` names it.
 * Only this one variable is expanded: config paths are not a template language.
 */
export function expandCredentialsDirectory(path: string, node: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!path.includes('${CREDENTIALS_DIRECTORY}')) return path;
  const dir = env['CREDENTIALS_DIRECTORY'];
  if (!dir) {
    throw new TransportError(
      'config',
      `node ${node}: ${path} uses \${CREDENTIALS_DIRECTORY}, but it is not set (run under systemd with LoadCredential=, or use a plain path)`,
    );
  }
  return path.split('${CREDENTIALS_DIRECTORY}').join(dir);
}
