/**
 * A real OpenSSH sshd on loopback for transport tests: its own host key, authorized
 * keys and pid file in a temp dir, a free high port, key-only auth for one user.
 * The caller must `stop()` it (afterAll / finally); stop kills only this sshd's PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = '/usr/sbin/sshd';
export const SSH_KEYGEN_PATH = '/usr/bin/ssh-keygen';
export const sshdAvailable = existsSync(SSHD_PATH) && existsSync(SSH_KEYGEN_PATH);
export const sshdSkipReason = sshdAvailable
  ? ''
  : `SKIPPED: ${SSHD_PATH} or ${SSH_KEYGEN_PATH} missing (apt-get install openssh-server openssh-client)`;
if (!sshdAvailable) console.warn(`sshd-based tests ${sshdSkipReason}`);

export interface SshdOptions {
  /** The only user allowed to log in (AllowUsers); default root, as tests run as root. */
  user?: string;
  /** A loopback address, default 127.0.0.1. */
  host?: string;
  /** authorized_keys options for the client key, e.g. `command="/bin/echo hi"`. */
  authorizedKeyOptions?: string;
  /** A fixed port (nodes of one cluster share their SSH port); default a free one. */
  port?: number;
}

export interface PublicKey {
  type: string;
  base64: string;
}

export interface SshdServer {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  /** A known_hosts file with this server's host key under `[host]:port`. */
  knownHosts: string;
  hostKey: PublicKey;
  hostKeyFingerprint: string;
  dir: string;
  pid: number;
  /** sshd's own log (LogLevel DEBUG1), for counting connections and sessions. */
  log(): string;
  stop(): Promise<void>;
}

export function generateKey(file: string, type = 'ed25519'): PublicKey {
  execFileSync(SSH_KEYGEN_PATH, ['-q', '-t', type, '-N', '', '-C', 'driftd-test', '-f', file]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/) as [string, string];
  return { type: keyType, base64 };
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  if (!sshdAvailable) throw new Error(sshdSkipReason);
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error('test sshd listens on 127.0.0.0/8 only');
  const user = options.user ?? 'root';
  const dir = mkdtempSync(join(tmpdir(), 'driftd-sshd-'));
  let child: ChildProcess | undefined;
  try {
    const hostKey = generateKey(join(dir, 'ssh_host_ed25519_key'));
    const clientKey = generateKey(join(dir, 'id_ed25519'));
    const keyOptions = options.authorizedKeyOptions ? `${options.authorizedKeyOptions} ` : '';
    writeFileSync(join(dir, 'authorized_keys'), `${keyOptions}${clientKey.type} ${clientKey.base64}\n`, { mode: 0o600 });
    const port = options.port ?? (await freePort(host));
    const config = [
      `ListenAddress ${host}:${port}`,
      `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel DEBUG1',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'sshd_config'), config);
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `[${host}]:${port} ${hostKey.type} ${hostKey.base64}\n`);
    const fingerprint = execFileSync(SSH_KEYGEN_PATH, ['-lf', `${join(dir, 'ssh_host_ed25519_key')}.pub`], {
      encoding: 'utf8',
    }).split(' ')[1] as string;

    // sshd insists on its privilege-separation directory even for a test instance.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const started = spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = started;
    let log = '';
    started.stderr?.setEncoding('utf8');
    started.stderr?.on('data', (text: string) => {
      log += text;
    });
    await waitUntilListening(started, host, port, () => log);
    const pid = started.pid as number;

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(forceKill);
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        const forceKill = setTimeout(() => started.kill('SIGKILL'), 3000);
        if (started.exitCode !== null || started.signalCode !== null) return done();
        started.once('exit', done);
        started.kill('SIGTERM');
      });
      return stopped;
    };
    return {
      host,
      port,
      user,
      identityFile: join(dir, 'id_ed25519'),
      knownHosts,
      hostKey,
      hostKeyFingerprint: fingerprint,
      dir,
      pid,
      log: () => log,
      stop,
    };
  } catch (error) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitUntilListening(child: ChildProcess, host: string, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${log()}`);
    if (await portAccepts(host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${host}:${port} within 10 s:\n${log()}`);
}

/** Count of exec'd sessions and of authenticated connections in an sshd DEBUG1 log. */
export function countSessions(log: string): { connections: number; sessions: number; execs: number } {
  const count = (re: RegExp): number => (log.match(re) ?? []).length;
  return {
    connections: count(/Accepted publickey for /g),
    sessions: count(/server_input_channel_open: ctype session/g),
    execs: count(/server_input_channel_req: channel \d+ request exec/g),
  };
}

/**
 * Hostile nodes for the tests of issue #22: a forced command (authorized_keys
 * `command="..."`) that plays a node gone bad. It receives driftd's batch script on its
 * stdin, so it can read the run's nonce from it, as a compromised node could.
 *
 * - `hang`: never prints anything, keeps the channel open.
 * - `start-then-hang`: prints the start markers with the real nonce, then nothing.
 * - `fake-markers`: prints the start markers, then end markers with another nonce and
 *   an out-of-range index, then exits: every command is cut.
 * - `script`: any other shell body; `$NONCE` holds the run's nonce, `START` prints the
 *   start markers, `END i rc` prints command i's end markers.
 * - `rewrite`: a wrapper shell: the real batch script runs, with each `from` text in it
 *   replaced by `to` (e.g. `/etc/os-release` by a hostile file), as a node whose files or
 *   tools were tampered with would answer.
 */
export type HostileKind = 'hang' | 'start-then-hang' | 'fake-markers' | { script: string } | { rewrite: Array<[string, string]> };

const HOSTILE_PRELUDE = [
  '#!/bin/sh',
  '# driftd test: a hostile node (forced command). The batch script arrives on stdin.',
  'NONCE=""',
  'set -f',
  'while IFS= read -r line; do',
  '  case "$line" in',
  // The line is: printf '\n@@driftd:%s:start\n' NONCE; printf ... >&2
  "    *'@@driftd:%s:start'*) set -- $line; NONCE=${3%;}; break ;;",
  '  esac',
  'done',
  'START() { printf \'\\n@@driftd:%s:start\\n\' "$NONCE"; printf \'\\n@@driftd:%s:start\\n\' "$NONCE" >&2; }',
  'END() { printf \'\\n@@driftd:%s:end:%d:%d\\n\' "$NONCE" "$1" "$2"; printf \'\\n@@driftd:%s:end:%d:%d\\n\' "$NONCE" "$1" "$2" >&2; }',
  '',
].join('\n');

/** Writes the hostile forced command into `dir` and returns the authorized_keys option for it. */
export function hostileCommand(dir: string, name: string, kind: HostileKind): string {
  const file = join(dir, `hostile-${name}.sh`);
  if (typeof kind === 'object' && 'rewrite' in kind) {
    const sedFile = join(dir, `hostile-${name}.sed`);
    const escape = (text: string) => text.replace(/[\\|&]/g, '\\$&').replace(/\n/g, '\\n');
    writeFileSync(
      sedFile,
      kind.rewrite.map(([from, to]) => `s|${escape(from).replace(/[.*[\]^$]/g, '\\$&')}|${escape(to)}|g`).join('\n') + '\n',
    );
    // sed feeds sh through a FIFO and holds none of the channel's output: when sh is done
    // the session ends, the channel closes, and sed sees its EOF.
    const fifo = join(dir, `hostile-${name}.fifo`);
    writeFileSync(
      file,
      [
        '#!/bin/sh',
        '# driftd test: a tampered node: the real batch script, rewritten.',
        `rm -f ${fifo}; /usr/bin/mkfifo ${fifo}`,
        // An asynchronous command reads /dev/null unless its stdin is redirected explicitly.
        'exec 4<&0',
        `/bin/sed -u -f ${sedFile} <&4 >${fifo} 2>/dev/null &`,
        'exec 4<&-',
        `exec /bin/sh -s <${fifo}`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    return `command="${file}"`;
  }
  const body =
    kind === 'hang'
      ? 'exec /bin/sleep 1000'
      : kind === 'start-then-hang'
        ? 'START; exec /bin/sleep 1000'
        : kind === 'fake-markers'
          ? [
              'START',
              "printf 'ID=debian\\n'",
              "printf '\\n@@driftd:%s:end:0:0\\n' AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
              "printf '\\n@@driftd:%s:end:0:0\\n' AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >&2",
              'END 999 0',
              'exit 0',
            ].join('\n')
          : kind.script;
  writeFileSync(file, `${HOSTILE_PRELUDE}${body}\n`, { mode: 0o755 });
  return `command="${file}"`;
}
