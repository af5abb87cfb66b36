import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalTransport, type LocalTransportOptions } from '../../src/transports/local.js';

const transport = (overrides: Partial<LocalTransportOptions> = {}) =>
  new LocalTransport({ node: 'here', commandTimeoutSeconds: 10, maxOutputBytes: 1024 * 1024, sudo: false, ...overrides });

describe('LocalTransport', () => {
  it('returns stdout, stderr and exit codes in spec order, with LC_ALL=C', async () => {
    const results = await transport().run([
      { id: 'echo', argv: ['/bin/echo', 'hello'] },
      { id: 'fail', argv: ['/bin/sh', '-c', 'echo bad >&2; exit 4'] },
      { id: 'locale', argv: ['/bin/sh', '-c', 'printf %s "$LC_ALL"'] },
      { id: 'missing', argv: ['/nonexistent/tool'] },
    ]);
    expect(results.map((r) => [r.id, r.stdout, r.stderr, r.exitCode, r.error])).toEqual([
      ['echo', 'hello\n', '', 0, undefined],
      ['fail', '', 'bad\n', 4, undefined],
      ['locale', 'C', '', 0, undefined],
      ['missing', '', '/nonexistent/tool: not found\n', 127, undefined],
    ]);
  });

  it('passes argv without a shell: metacharacters are plain data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftd-local-'));
    try {
      const victim = join(dir, 'pwned');
      const [result] = await transport().run([{ id: 'meta', argv: ['/bin/echo', `; touch ${victim}`, `$(touch ${victim})`] }]);
      expect(result?.stdout).toBe(`; touch ${victim} $(touch ${victim})\n`);
      expect(existsSync(victim)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caps output and marks it truncated', async () => {
    const [result] = await transport().run([{ id: 'big', argv: ['/usr/bin/head', '-c', '100000', '/dev/zero'], maxBytes: 1000 }]);
    expect(result).toMatchObject({ truncated: true, exitCode: null });
    expect(result?.stdout.length).toBe(1000);
    expect(result?.error).toMatch(/output cap of 1000 bytes/);
  });

  it('times a command out', async () => {
    const started = Date.now();
    const [result] = await transport({ commandTimeoutSeconds: 1 }).run([{ id: 'sleep', argv: ['/bin/sleep', '30'] }]);
    expect(result).toMatchObject({ exitCode: null, error: 'timeout after 1s' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('runs a few at a time, not one after another', async () => {
    const started = Date.now();
    const commands = Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, argv: ['/bin/sleep', '0.5'] }));
    const results = await transport({ concurrency: 4 }).run(commands);
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1800);
  });

  const haveSudo = existsSync('/usr/bin/sudo');
  if (!haveSudo) console.warn('SKIPPING local sudo test: /usr/bin/sudo missing (apt-get install sudo)');
  // sudo sets SUDO_COMMAND in the command's environment: that shows whether it ran.
  const underSudo = ['/bin/sh', '-c', 'printf %s "${SUDO_COMMAND:+under-sudo}"'];
  (haveSudo ? it : it.skip).each([
    [true, true, 'under-sudo'],
    [true, false, ''],
    [false, true, ''],
  ])(`sudo spec=%s node=%s prints %j${haveSudo ? '' : ' [SKIPPED: /usr/bin/sudo missing]'}`, async (specSudo, nodeSudo, expected) => {
    const [result] = await transport({ sudo: nodeSudo }).run([{ id: 'x', argv: underSudo, sudo: specSudo }]);
    expect(result).toMatchObject({ stdout: expected, exitCode: 0 });
  });
});
