import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SshTransport } from '../../src/transports/ssh.js';
import { sshdAvailable, sshdSkipReason, startSshd } from '../helpers/sshd.js';

const sshIt = sshdAvailable ? it : it.skip;
const suffix = sshdAvailable ? '' : ` [${sshdSkipReason}]`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test/helpers/sshd harness', () => {
  sshIt(`serves on another loopback address and stop() removes its process and temp dir${suffix}`, async () => {
    const server = await startSshd({ host: '127.0.0.2' });
    try {
      expect(server.host).toBe('127.0.0.2');
      expect(server.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      const transport = new SshTransport({
        node: 'n2',
        host: server.host,
        port: server.port,
        user: server.user,
        identityFile: server.identityFile,
        knownHosts: server.knownHosts,
        connectTimeoutSeconds: 5,
        commandTimeoutSeconds: 10,
        keepaliveSeconds: 15,
        maxOutputBytes: 1024,
        sudo: false,
      });
      await transport.open();
      const [result] = await transport.run([{ id: 'id', argv: ['/usr/bin/id', '-un'] }]);
      await transport.close();
      expect(result?.stdout).toBe(`${server.user}\n`);
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  sshIt(`refuses a non-loopback address${suffix}`, async () => {
    await expect(startSshd({ host: '10.0.0.1' })).rejects.toThrow(/127\.0\.0\.0\/8/);
  });
});
