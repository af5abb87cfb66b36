import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pidsRunning } from '../helpers/processes.js';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshTransport, type SshTransportOptions } from '../../src/transports/ssh.js';
import { TransportError, type CommandSpec } from '../../src/transports/transport.js';
import { countSessions, freePort, generateKey, sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';

const sshIt = sshdAvailable ? it : it.skip;
const suffix = sshdAvailable ? '' : ` [${sshdSkipReason}]`;

let server: SshdServer | undefined;

function options(overrides: Partial<SshTransportOptions> = {}): SshTransportOptions {
  const s = server as SshdServer;
  return {
    node: 'test-node',
    host: s.host,
    port: s.port,
    user: s.user,
    identityFile: s.identityFile,
    knownHosts: s.knownHosts,
    connectTimeoutSeconds: 5,
    commandTimeoutSeconds: 20,
    keepaliveSeconds: 15,
    maxOutputBytes: 1024 * 1024,
    sudo: false,
    ...overrides,
  };
}

async function runOnce(opts: SshTransportOptions, commands: CommandSpec[]) {
  const transport = new SshTransport(opts);
  await transport.open();
  try {
    return await transport.run(commands);
  } finally {
    await transport.close();
  }
}

async function refusal(opts: SshTransportOptions): Promise<TransportError> {
  const transport = new SshTransport(opts);
  try {
    await transport.open();
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  } finally {
    await transport.close();
  }
  throw new Error('open() unexpectedly succeeded');
}

beforeAll(async () => {
  if (sshdAvailable) server = await startSshd();
});

afterAll(async () => {
  await server?.stop();
});

describe('SshTransport over a real sshd', () => {
  sshIt(`runs a batch in ONE connection and ONE exec channel with exact outputs${suffix}`, async () => {
    const s = server as SshdServer;
    const before = countSessions(s.log());
    const results = await runOnce(options(), [
      { id: 'echo', argv: ['/bin/echo', 'hello world'] },
      { id: 'no-newline', argv: ['/usr/bin/printf', '%s', 'no newline'] },
      { id: 'stderr-exit', argv: ['/bin/sh', '-c', 'echo oops >&2; exit 3'] },
      { id: 'missing', argv: ['/nonexistent/tool', '--version'] },
      { id: 'locale', argv: ['/bin/sh', '-c', 'printf %s "$LC_ALL"'] },
      { id: 'utf8', argv: ['/usr/bin/printf', '%s', 'Grüße ✓'] },
    ]);
    expect(results.map((r) => [r.id, r.stdout, r.stderr, r.exitCode, r.error])).toEqual([
      ['echo', 'hello world\n', '', 0, undefined],
      ['no-newline', 'no newline', '', 0, undefined],
      ['stderr-exit', '', 'oops\n', 3, undefined],
      ['missing', '', expect.stringContaining('/nonexistent/tool'), 127, undefined],
      ['locale', 'C', '', 0, undefined],
      ['utf8', 'Grüße ✓', '', 0, undefined],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = countSessions(s.log());
    expect(after.connections - before.connections).toBe(1);
    expect(after.sessions - before.sessions).toBe(1);
    expect(after.execs - before.execs).toBe(1);
  });

  sshIt(`shell metacharacters in argv cannot run anything${suffix}`, async () => {
    const victim = join((server as SshdServer).dir, 'pwned');
    const argv = [
      '/bin/echo',
      `; touch ${victim}`,
      `$(touch ${victim})`,
      `\`touch ${victim}\``,
      `' ; touch ${victim} '`,
      `\ntouch ${victim}`,
    ];
    const [result] = await runOnce(options(), [{ id: 'meta', argv }]);
    expect(result?.stdout).toBe(argv.slice(1).join(' ') + '\n');
    expect(existsSync(victim)).toBe(false);
  });

  sshIt(`refuses a changed host key and shows the offered fingerprint${suffix}`, async () => {
    const s = server as SshdServer;
    const other = generateKey(join(s.dir, 'other_host_key'));
    const file = join(s.dir, 'known_hosts.changed');
    writeFileSync(file, `[${s.host}]:${s.port} ${other.type} ${other.base64}\n`);
    const error = await refusal(options({ knownHosts: file }));
    expect(error.code).toBe('host-key-mismatch');
    expect(error.message).toContain(s.hostKeyFingerprint);
    expect(error.message).toContain(file);
    expect(error.message).toContain('ssh-keygen -R');
    expect(error.message).toContain('test-node');
  });

  sshIt(`reads known_hosts and the identity file again when they change between connections${suffix}`, async () => {
    // Both are parsed once per content (transports/file-cache.ts): a key removed from
    // known_hosts or a replaced identity file must count at the very next connection.
    const s = server as SshdServer;
    const file = join(s.dir, 'known_hosts.edited');
    const identity = join(s.dir, 'id_edited');
    writeFileSync(file, readFileSync(s.knownHosts));
    writeFileSync(identity, readFileSync(s.identityFile), { mode: 0o600 });
    const opts = options({ knownHosts: file, identityFile: identity });
    expect((await runOnce(opts, [{ id: 'true', argv: ['/bin/true'] }]))[0]?.exitCode).toBe(0);
    const other = generateKey(join(s.dir, 'edited_host_key'));
    writeFileSync(file, `[${s.host}]:${s.port} ${other.type} ${other.base64}\n`);
    expect((await refusal(opts)).code).toBe('host-key-mismatch');
    writeFileSync(file, readFileSync(s.knownHosts));
    expect((await runOnce(opts, [{ id: 'true', argv: ['/bin/true'] }]))[0]?.exitCode).toBe(0);
    generateKey(join(s.dir, 'id_edited_stranger'));
    writeFileSync(identity, readFileSync(join(s.dir, 'id_edited_stranger')), { mode: 0o600 });
    expect((await refusal(opts)).code).toBe('auth-failed');
  });

  sshIt(`refuses an unknown host (no entry) instead of trusting it${suffix}`, async () => {
    const s = server as SshdServer;
    const file = join(s.dir, 'known_hosts.other-host');
    // Same key, but recorded for port 22 only: a different lookup name, so no entry.
    writeFileSync(file, `${s.host} ${s.hostKey.type} ${s.hostKey.base64}\n`);
    const error = await refusal(options({ knownHosts: file }));
    expect(error.code).toBe('host-key-unknown');
    expect(error.message).toContain(s.hostKeyFingerprint);
    expect(error.message).toContain('ssh-keyscan');
  });

  sshIt(`refuses when the known_hosts file is missing${suffix}`, async () => {
    const error = await refusal(options({ knownHosts: join((server as SshdServer).dir, 'nope') }));
    expect(error.code).toBe('config');
    expect(error.message).toContain('ssh-keyscan');
  });

  sshIt(`matches hashed known_hosts entries written by ssh-keygen -H${suffix}`, async () => {
    const s = server as SshdServer;
    const file = join(s.dir, 'known_hosts.hashed');
    writeFileSync(file, readFileSync(s.knownHosts));
    execFileSync('/usr/bin/ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const [result] = await runOnce(options({ knownHosts: file }), [{ id: 'true', argv: ['/bin/true'] }]);
    expect(result?.exitCode).toBe(0);
  });

  sshIt(`a wrong user is auth-failed with an actionable message${suffix}`, async () => {
    const error = await refusal(options({ user: 'driftd-no-such-user' }));
    expect(error.code).toBe('auth-failed');
    expect(error.message).toContain('server refused key for user driftd-no-such-user');
    expect(error.message).toContain('authorized_keys');
  });

  sshIt(`a key the server does not know is auth-failed, and the key never appears in the message${suffix}`, async () => {
    const s = server as SshdServer;
    const stranger = join(s.dir, 'stranger_key');
    generateKey(stranger);
    const error = await refusal(options({ identityFile: stranger }));
    expect(error.code).toBe('auth-failed');
    const secret = readFileSync(stranger, 'utf8').split('\n')[1] as string;
    expect(error.message).not.toContain(secret);
  });

  sshIt(`a closed port is connect-refused, quickly${suffix}`, async () => {
    const port = await freePort('127.0.0.1');
    const started = Date.now();
    const error = await refusal(options({ host: '127.0.0.1', port }));
    expect(error.code).toBe('connect-refused');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  sshIt(`a port that never speaks SSH is connect-timeout within the connect timeout${suffix}`, async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = Date.now();
      const error = await refusal(options({ host: '127.0.0.1', port, connectTimeoutSeconds: 1 }));
      expect(error.code).toBe('connect-timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
      silent.unref();
    }
  });

  sshIt(`a command that never ends times out within the command timeout, and is killed on the node${suffix}`, async () => {
    const sleeper = ['/bin/sleep', `1000.${process.pid}`];
    const started = Date.now();
    try {
      const results = await runOnce(options({ commandTimeoutSeconds: 2 }), [
        { id: 'first', argv: ['/bin/echo', 'done'] },
        { id: 'sleep', argv: sleeper },
        { id: 'never', argv: ['/bin/echo', 'never'] },
      ]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(1900);
      expect(elapsed).toBeLessThan(5000);
      expect(results[0]).toMatchObject({ stdout: 'done\n', exitCode: 0 });
      expect(results[0]?.error).toBeUndefined();
      expect(results[1]).toMatchObject({ exitCode: null, error: 'timeout after 2s' });
      expect(results[2]).toMatchObject({ exitCode: null, error: 'timeout after 2s' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(pidsRunning(sleeper)).toEqual([]);
    } finally {
      // Processes this test started, if the remote kill did not work.
      for (const pid of pidsRunning(sleeper)) process.kill(pid, 'SIGKILL');
    }
  });

  sshIt(`the output cap truncates, cuts a flood, and keeps memory bounded${suffix}`, async () => {
    const cap = 64 * 1024;
    const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const memoryBefore = used();
    const results = await runOnce(options({ maxOutputBytes: cap }), [
      { id: 'over', argv: ['/bin/sh', '-c', '/usr/bin/head -c 100000 /dev/zero'] },
      { id: 'flood', argv: ['/bin/sh', '-c', '/usr/bin/yes | /usr/bin/head -c 50000000'] },
      { id: 'after', argv: ['/bin/echo', 'after'] },
    ]);
    const memoryAfter = used();
    expect(results[0]).toMatchObject({ truncated: true, exitCode: 0 });
    expect(results[0]?.stdout.length).toBe(cap);
    expect(results[1]).toMatchObject({ truncated: true, exitCode: null, error: 'cut' });
    expect(results[1]?.stdout.length).toBe(cap);
    expect(results[2]).toMatchObject({ exitCode: null, error: 'cut' });
    // 50 MB were offered; what we hold is the caps plus framing, far below that.
    expect(memoryAfter - memoryBefore).toBeLessThan(20 * 1024 * 1024);
  });

  sshIt(`refuses run() before open()${suffix}`, async () => {
    await expect(new SshTransport(options()).run([{ id: 'x', argv: ['/bin/true'] }])).rejects.toThrow(TransportError);
  });
});

describe('SshTransport sudo', () => {
  const haveSudo = sshdAvailable && existsSync('/usr/bin/sudo');
  if (!haveSudo) console.warn('SKIPPING ssh sudo test: /usr/bin/sudo or sshd missing (apt-get install sudo openssh-server)');
  // sudo sets SUDO_COMMAND in the command's environment: that shows whether it ran.
  const underSudo = ['/bin/sh', '-c', 'printf %s "${SUDO_COMMAND:+under-sudo}"'];
  (haveSudo ? it : it.skip)(
    `runs sudo: true commands under sudo -n only when the node enables it${haveSudo ? '' : ' [SKIPPED: sudo missing]'}`,
    async () => {
      const commands: CommandSpec[] = [
        { id: 'privileged', argv: underSudo, sudo: true },
        { id: 'plain', argv: underSudo },
      ];
      const on = await runOnce(options({ sudo: true }), commands);
      const off = await runOnce(options({ sudo: false }), commands);
      expect(on.map((r) => r.stdout)).toEqual(['under-sudo', '']);
      expect(off.map((r) => r.stdout)).toEqual(['', '']);
    },
  );
});

describe('SshTransport when the script cannot run', () => {
  let forced: SshdServer | undefined;
  beforeAll(async () => {
    if (sshdAvailable) forced = await startSshd({ authorizedKeyOptions: 'command="/bin/echo forced-command-here"' });
  });
  afterAll(async () => {
    await forced?.stop();
  });

  sshIt(`a forced command in authorized_keys is a node-level error quoting what the node said${suffix}`, async () => {
    const s = forced as SshdServer;
    const transport = new SshTransport(options({ port: s.port, identityFile: s.identityFile, knownHosts: s.knownHosts }));
    await transport.open();
    try {
      const error = await transport.run([{ id: 'x', argv: ['/bin/true'] }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('io');
      expect((error as TransportError).message).toContain('forced-command-here');
    } finally {
      await transport.close();
    }
  });
});

describe('SshTransport abort', () => {
  sshIt(`an aborted run returns at once with outstanding commands marked aborted${suffix}`, async () => {
    const transport = new SshTransport(options());
    await transport.open();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    try {
      const results = await transport.run([{ id: 'sleep', argv: ['/bin/sleep', '30'] }], { signal: controller.signal });
      expect(results[0]).toMatchObject({ exitCode: null, error: 'aborted' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await transport.close();
    }
  });
});

describe('SshTransport credentials', () => {
  sshIt(`a passphrase-protected identityFile is a config error that shows neither key nor passphrase${suffix}`, async () => {
    const s = server as SshdServer;
    const file = join(s.dir, 'locked_key');
    const passphrase = 'correct-horse-battery';
    execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', file]);
    const error = await refusal(options({ identityFile: file }));
    expect(error.code).toBe('config');
    expect(error.message).toContain(file);
    expect(error.message).not.toContain(passphrase);
    expect(error.message).not.toContain(readFileSync(file, 'utf8').split('\n')[1] as string);
  });

  sshIt(`no identityFile and no agent is a config error${suffix}`, async () => {
    const error = await refusal(options({ identityFile: undefined, agent: false }));
    expect(error.code).toBe('config');
    expect(error.message).toContain('identityFile');
  });

  sshIt(`an unknown-host refusal points at unreadable known_hosts lines${suffix}`, async () => {
    const s = server as SshdServer;
    const file = join(s.dir, 'known_hosts.typo');
    writeFileSync(file, `[${s.host}]:${s.port} ssh-ed25519 not!base64\n`);
    const error = await refusal(options({ knownHosts: file }));
    expect(error.code).toBe('host-key-unknown');
    expect(error.message).toContain('line 1: the key is not base64');
  });
});

describe('SshTransport with ssh-agent', () => {
  let agent: ChildProcess | undefined;
  let socket = '';
  const savedSocket = process.env['SSH_AUTH_SOCK'];

  const withAgent = <T>(sock: string | undefined, work: () => Promise<T>): Promise<T> => {
    if (sock === undefined) delete process.env['SSH_AUTH_SOCK'];
    else process.env['SSH_AUTH_SOCK'] = sock;
    return work().finally(() => {
      if (savedSocket === undefined) delete process.env['SSH_AUTH_SOCK'];
      else process.env['SSH_AUTH_SOCK'] = savedSocket;
    });
  };
  const sshAdd = (...args: string[]) =>
    execFileSync('/usr/bin/ssh-add', args, { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });

  beforeAll(async () => {
    if (!sshdAvailable || !existsSync('/usr/bin/ssh-agent')) return;
    socket = join((server as SshdServer).dir, 'agent.sock');
    // -D: in the foreground, so the PID we hold is the agent's and we end it ourselves.
    agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(socket); i += 1) await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(socket)) throw new Error(`ssh-agent did not create ${socket}`);
  });

  afterAll(() => {
    if (agent?.pid !== undefined && agent.exitCode === null) process.kill(agent.pid, 'SIGTERM');
  });

  sshIt(`authenticates with a key held only by the agent (no identityFile)${suffix}`, async () => {
    sshAdd((server as SshdServer).identityFile);
    const [result] = await withAgent(socket, () =>
      runOnce(options({ identityFile: undefined, agent: true }), [{ id: 'id', argv: ['/usr/bin/id', '-un'] }]),
    );
    expect(result?.exitCode).toBe(0);
    expect(result?.stdout.trim()).toBe((server as SshdServer).user);
  });

  sshIt(`an agent without the right key is auth-failed and says the agent's keys were tried${suffix}`, async () => {
    sshAdd('-D');
    const error = await withAgent(socket, () => refusal(options({ identityFile: undefined, agent: true })));
    expect(error.code).toBe('auth-failed');
    expect(error.message).toContain('the ssh-agent keys');
  });

  sshIt(`agent: true without SSH_AUTH_SOCK is a config error${suffix}`, async () => {
    const error = await withAgent(undefined, () => refusal(options({ identityFile: undefined, agent: true })));
    expect(error.code).toBe('config');
    expect(error.message).toContain('SSH_AUTH_SOCK is not set');
  });
});
