/**
 * A real node over SSH (ssh2). One connection per node per run and ONE exec channel for
 * the whole collection (batch.ts), so a node costs a single round trip.
 *
 * Host keys are verified strictly against the configured known_hosts file: ssh2 accepts
 * any key unless told otherwise, so `hostVerifier` is always set, and an unknown or
 * changed key is refused (no trust-on-first-use, no fallback). Error messages name the
 * node and user@host:port and never carry key material.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import ssh2, {
  Client,
  type AgentAuthMethod,
  type AuthMethod,
  type ClientChannel,
  type ConnectConfig,
  type ParsedKey,
  type PublicKeyAuthMethod,
  type ServerHostKeyAlgorithm,
} from 'ssh2';
import { BatchDemuxer, buildBatchScript, CUT_ERROR } from './batch.js';
import { ParsedFileCache } from './file-cache.js';
import {
  fingerprintSha256,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
  indexKnownHosts,
  relevantEntries,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
  type KnownHostsLineError,
  type ParsedKnownHosts,
  type KnownHostsIndex,
} from './known-hosts.js';
import { ShellQuoteError, commandLine } from './shell-quote.js';
import { TransportError, type CommandResult, type CommandSpec, type RunOptions, type Transport } from './transport.js';

export interface SshTransportOptions {
  node: string;
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  agent?: boolean;
  knownHosts: string;
  connectTimeoutSeconds: number;
  commandTimeoutSeconds: number;
  keepaliveSeconds: number;
  maxOutputBytes: number;
  sudo: boolean;
}

/** Fixed slack over the caps for markers and framing before a channel is cut. */
const FRAMING_SLACK_BYTES = 64 * 1024;
/** The remote side of the channel: the batch script arrives on its stdin. */
const REMOTE_SHELL = '/bin/sh -s';

const knownHostsFiles = new ParsedFileCache<{ parsed: ParsedKnownHosts; index: KnownHostsIndex }>((data) => {
  const parsed = parseKnownHosts(data.toString('utf8'));
  return { parsed, index: indexKnownHosts(parsed.entries) };
});
/** ssh2's parse of the key (it throws nothing: an unusable key is an Error value). `utils` is on
 * the CommonJS module object only, not a named ESM export. */
const identityFiles = new ParsedFileCache<ParsedKey | Error>((data) => ssh2.utils.parseKey(data));

const ALL_HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** known_hosts key types -> the signature algorithms a server may negotiate for them. */
function algorithmsForKeyType(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return ALL_HOST_KEY_ALGORITHMS.filter((algorithm) => algorithm === keyType);
}

/**
 * Offer the key types already recorded for this host first, like OpenSSH does, so a
 * server with several host keys picks one we can verify instead of a "new" one.
 */
export function hostKeyAlgorithmOrder(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownTypes.flatMap(algorithmsForKeyType);
  return [...new Set([...preferred, ...ALL_HOST_KEY_ALGORITHMS])];
}

interface ErrorWithDetails {
  message?: unknown;
  code?: unknown;
  level?: unknown;
}

export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly target: string;
  private client: Client | undefined;
  private knownHostsProblems: KnownHostsLineError[] = [];

  constructor(private readonly options: SshTransportOptions) {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    this.target = `${options.user}@${host}:${options.port}`;
  }

  private get who(): string {
    return `node ${this.options.node} (${this.target})`;
  }

  async open(): Promise<void> {
    if (this.client) return;
    const entries = this.readKnownHosts();
    const authHandler = this.authMethods();
    const client = new Client();
    let verdict: HostKeyVerdict | undefined;
    let offeredKey: Buffer | undefined;
    const config: ConnectConfig = {
      host: this.options.host,
      port: this.options.port,
      username: this.options.user,
      // Straight to the configured methods: ssh2's default first asks for "none" (one more
      // round trip per node) and re-parses the key bytes on every connection.
      authHandler,
      readyTimeout: this.options.connectTimeoutSeconds * 1000,
      keepaliveInterval: this.options.keepaliveSeconds * 1000,
      keepaliveCountMax: 3,
      algorithms: {
        serverHostKey: hostKeyAlgorithmOrder(knownKeyTypes(entries, this.options.host, this.options.port)),
      },
      hostVerifier: (key: Buffer): boolean => {
        offeredKey = key;
        const keyType = keyTypeOfBlob(key) ?? 'unknown';
        verdict = verifyHostKey(entries, this.options.host, this.options.port, keyType, key);
        return verdict.ok;
      },
    };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: TransportError): void => {
        if (settled) return;
        settled = true;
        if (error) {
          client.removeAllListeners('ready');
          client.on('error', () => undefined);
          client.end();
          reject(error);
        } else {
          resolve();
        }
      };
      client.once('ready', () => settle());
      client.on('error', (error: ErrorWithDetails) => {
        settle(verdict && !verdict.ok ? this.hostKeyError(verdict, offeredKey) : this.connectError(error));
      });
      client.once('close', () => {
        settle(
          verdict && !verdict.ok
            ? this.hostKeyError(verdict, offeredKey)
            : new TransportError('io', `${this.who}: the connection closed before SSH was ready`),
        );
      });
      try {
        client.connect(config);
      } catch (error) {
        settle(new TransportError('config', `${this.who}: cannot start SSH: ${describe(error)}`));
      }
    });
    this.client = client;
  }

  private readKnownHosts(): KnownHostEntry[] {
    const file = this.options.knownHosts;
    let known: { parsed: ParsedKnownHosts; index: KnownHostsIndex };
    try {
      known = knownHostsFiles.read(file);
    } catch (error) {
      throw new TransportError(
        'config',
        `${this.who}: cannot read known_hosts file ${file} (${describe(error)}); host keys are always verified. ` +
          `Create it with the node's key after checking its fingerprint out of band: ` +
          `ssh-keyscan -p ${this.options.port} ${this.options.host} >> ${file}`,
        { cause: error },
      );
    }
    this.knownHostsProblems = known.parsed.errors;
    // Only the lines that can concern this host (same verdicts as the whole file).
    return relevantEntries(known.index, this.options.host, this.options.port);
  }

  /** The configured credentials in order: the identity file's key, then the agent. */
  private authMethods(): AuthMethod[] {
    const username = this.options.user;
    const methods: AuthMethod[] = [];
    const file = this.options.identityFile;
    if (file) {
      let key: ParsedKey | Error;
      try {
        key = identityFiles.read(file);
      } catch (error) {
        throw new TransportError('config', `${this.who}: cannot read identityFile ${file} (${describe(error)})`);
      }
      // ssh2's messages name the key's format, never its bytes.
      if (key instanceof Error) throw new TransportError('config', `${this.who}: identityFile ${file} cannot be used: ${key.message}`);
      if (!key.isPrivateKey())
        throw new TransportError('config', `${this.who}: identityFile ${file} cannot be used: it holds no private key`);
      const method: PublicKeyAuthMethod = { type: 'publickey', username, key };
      methods.push(method);
    }
    if (this.options.agent) {
      const socket = process.env['SSH_AUTH_SOCK'];
      if (!socket) {
        throw new TransportError('config', `${this.who}: ssh.agent is on but SSH_AUTH_SOCK is not set`);
      }
      const method: AgentAuthMethod = { type: 'agent', username, agent: socket };
      methods.push(method);
    }
    if (methods.length === 0) {
      throw new TransportError('config', `${this.who}: no credentials: set ssh.identityFile or ssh.agent: true`);
    }
    return methods;
  }

  private hostKeyError(verdict: Exclude<HostKeyVerdict, { ok: true }>, offeredKey: Buffer | undefined): TransportError {
    const file = this.options.knownHosts;
    const { host, port } = this.options;
    const name = port === 22 ? host : `[${host}]:${port}`;
    const fingerprint = offeredKey ? fingerprintSha256(offeredKey) : 'unknown fingerprint';
    const scan = `ssh-keyscan -p ${port} ${host} | ssh-keygen -lf -`;
    const hint = {
      'host-key-unknown':
        `Check that ${fingerprint} is the node's key (run \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the node, ` +
        `or \`${scan}\` from a trusted network), then add it: ssh-keyscan -p ${port} ${host} >> ${file}`,
      'host-key-mismatch':
        `If the node was legitimately re-keyed, confirm ${fingerprint} out of band, then ` +
        `\`ssh-keygen -R '${name}' -f ${file}\` and ssh-keyscan -p ${port} ${host} >> ${file}; otherwise treat it as an attack.`,
      'host-key-revoked': `Do not connect: the node presents a revoked key; re-key the node and update ${file}.`,
    }[verdict.code];
    // A typo in the file can be why the key looks unknown: say which lines were skipped.
    const skipped = this.knownHostsProblems.length
      ? ` Note: ${this.knownHostsProblems.length} unreadable line(s) in ${file} were skipped: ` +
        this.knownHostsProblems
          .slice(0, 3)
          .map((problem) => problem.message)
          .join('; ')
      : '';
    return new TransportError(verdict.code, `${this.who}: host key refused: ${verdict.message} (known_hosts: ${file}). ${hint}${skipped}`);
  }

  private connectError(error: ErrorWithDetails): TransportError {
    const code = typeof error.code === 'string' ? error.code : '';
    const level = typeof error.level === 'string' ? error.level : '';
    const { host, port, user } = this.options;
    if (code === 'ECONNREFUSED') {
      return new TransportError(
        'connect-refused',
        `${this.who}: connection refused by ${host}:${port}; is sshd running and listening on port ${port}?`,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || level === 'client-dns') {
      return new TransportError('dns', `${this.who}: cannot resolve host name ${host} (${code || 'DNS error'})`);
    }
    if (level === 'client-timeout' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new TransportError(
        'connect-timeout',
        `${this.who}: no SSH session with ${host}:${port} within ${this.options.connectTimeoutSeconds}s (${code || 'handshake timed out'}); check the address, firewall and ssh.connectTimeoutSeconds`,
      );
    }
    if (level === 'client-authentication') {
      const credential = this.options.identityFile ? `identityFile ${this.options.identityFile}` : 'the ssh-agent keys';
      return new TransportError(
        'auth-failed',
        `${this.who}: server refused key for user ${user}; check authorized_keys for ${user} on the node / ${credential}`,
      );
    }
    return new TransportError('io', `${this.who}: SSH failure: ${describe(error)}`);
  }

  async run(commands: CommandSpec[], options: RunOptions = {}): Promise<CommandResult[]> {
    const client = this.client;
    if (!client) throw new TransportError('io', `${this.who}: run() before open() or after the connection was closed`);
    const runnable: CommandSpec[] = [];
    const refused = new Map<number, CommandResult>();
    commands.forEach((spec, index) => {
      try {
        commandLine(spec.argv);
        runnable.push(spec);
      } catch (error) {
        if (!(error instanceof ShellQuoteError)) throw error;
        refused.set(index, { id: spec.id, exitCode: null, stdout: '', stderr: '', truncated: false, durationMs: 0, error: error.message });
      }
    });
    const results = runnable.length === 0 ? [] : await this.runBatch(client, runnable, options);
    let next = 0;
    return commands.map((_, index) => refused.get(index) ?? (results[next++] as CommandResult));
  }

  private async runBatch(client: Client, commands: CommandSpec[], options: RunOptions): Promise<CommandResult[]> {
    const nonce = randomBytes(16).toString('hex');
    const script = buildBatchScript(commands, { nonce, sudo: this.options.sudo });
    const demuxer = new BatchDemuxer(commands, {
      nonce,
      defaultMaxBytes: this.options.maxOutputBytes,
      now: () => performance.now(),
    });
    const byteLimit = demuxer.totalCapBytes + FRAMING_SLACK_BYTES;
    const stream = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(REMOTE_SHELL, (error, channel) => {
        if (error) reject(new TransportError('io', `${this.who}: cannot open an exec channel: ${describe(error)}`, { cause: error }));
        else resolve(channel);
      });
    });
    return new Promise<CommandResult[]>((resolve, reject) => {
      let received = 0;
      let done = false;
      const finish = (unfinishedError: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stream.end();
        options.signal?.removeEventListener('abort', onAbort);
        client.removeListener('close', onConnectionLost);
        const results = demuxer.finish(unfinishedError);
        if (unfinishedError === CUT_ERROR && !demuxer.started) {
          reject(this.scriptDidNotRun(demuxer.preamble));
          return;
        }
        resolve(results);
      };
      const onData =
        (push: (chunk: Buffer) => void) =>
        (chunk: Buffer): void => {
          if (done) return;
          received += chunk.length;
          if (received > byteLimit) {
            // Per-command caps already bound memory; this bounds time and bandwidth.
            stopRemote();
            finish(CUT_ERROR);
            return;
          }
          push(chunk);
        };
      // Closing the channel ends the script's stdin: its watchdog (batch.ts) then kills
      // what is still running on the node. Channel signals cannot do it: OpenSSH refuses
      // them for root sessions (no privilege separation after a root login).
      const stopRemote = (): void => {
        stream.close();
      };
      const abandon = (reason: string): void => {
        stopRemote();
        this.dropConnection();
        finish(reason);
      };
      const timeoutSeconds = this.options.commandTimeoutSeconds;
      const timer = setTimeout(() => abandon(`timeout after ${timeoutSeconds}s`), timeoutSeconds * 1000);
      const onAbort = (): void => abandon('aborted');
      const onConnectionLost = (): void => finish(CUT_ERROR);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      client.once('close', onConnectionLost);
      stream.on(
        'data',
        onData((chunk) => demuxer.pushStdout(chunk)),
      );
      stream.stderr.on(
        'data',
        onData((chunk) => demuxer.pushStderr(chunk)),
      );
      stream.on('close', () => finish(CUT_ERROR));
      stream.on('error', () => finish(CUT_ERROR));
      // stdin stays open until finish(): it is the remote watchdog's lifeline.
      stream.write(script);
    });
  }

  private scriptDidNotRun(preamble: { stdout: string; stderr: string }): TransportError {
    const said = `${preamble.stderr}${preamble.stdout}`.trim().slice(0, 500);
    return new TransportError(
      'io',
      `${this.who}: the collection script never started on the node (${REMOTE_SHELL} did not run). ` +
        `Check ${this.options.user}'s login shell and any forced command in authorized_keys` +
        (said ? `; the node said: ${JSON.stringify(said)}` : ''),
    );
  }

  private dropConnection(): void {
    const client = this.client;
    this.client = undefined;
    client?.end();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2000);
      client.once('close', () => {
        clearTimeout(fallback);
        resolve();
      });
      client.end();
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String((error as ErrorWithDetails).message);
  return String(error);
}
