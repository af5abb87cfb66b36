/**
 * The on-disk half of sysctl runtime drift: the constant script that prints the sysctl.d
 * files in application order, and the parser that says which assignment wins. The script
 * runs for real under /bin/sh, its directories re-rooted into a temp dir (it only reads).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FILE_MARKER,
  parseSysctlConf,
  SYSCTL_CONF_DIRS,
  SYSCTL_CONF_FILE,
  SYSCTL_CONF_SCRIPT,
  sysctlKeyNotation,
  UNREADABLE_MARKER,
} from '../../src/collectors/sysctl-conf.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/debian12-sysctl-runtime/sysctl-conf.txt');

describe('parseSysctlConf on the real capture (Debian 12, fixtures/debian12-sysctl-runtime)', () => {
  const parsed = parseSysctlConf(readFileSync(FIXTURE, 'utf8'));

  it('reads every file and names the line that wins', () => {
    expect(parsed.unreadable).toEqual([]);
    expect(parsed.ignored).toEqual([]);
    const pidMax = parsed.assignments.find((a) => a.key === 'kernel.pid_max');
    expect(pidMax).toEqual({ key: 'kernel.pid_max', value: '4194304', source: '/usr/lib/sysctl.d/50-pid-max.conf:16' });
    expect(parsed.assignments.find((a) => a.key === 'fs.protected_regular')).toMatchObject({
      value: '2',
      source: '/usr/lib/sysctl.d/99-protect-links.conf:9',
    });
    // /etc/sysctl.conf (and Debian's 99-sysctl.conf link to it) is all comments on this host.
    expect(parsed.assignments.map((a) => a.key)).toEqual([
      'kernel.pid_max',
      'fs.protected_fifos',
      'fs.protected_hardlinks',
      'fs.protected_regular',
      'fs.protected_symlinks',
    ]);
  });

  it('every source is file:line of a line that really assigns that key', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const files = new Map<string, string[]>();
    let current: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith(FILE_MARKER)) files.set(line.slice(FILE_MARKER.length), (current = []));
      else current.push(line);
    }
    expect(parsed.assignments).toHaveLength(5);
    for (const a of parsed.assignments) {
      const at = a.source.lastIndexOf(':');
      const line = files.get(a.source.slice(0, at))?.[Number(a.source.slice(at + 1)) - 1] ?? '';
      expect(sysctlKeyNotation(line.split('=')[0]!.trim().replace(/^-/, '')), a.source).toBe(a.key);
    }
  });
});

describe('parseSysctlConf semantics (hand-made inputs)', () => {
  const file = (path: string, ...lines: string[]) => [`${FILE_MARKER}${path}`, ...lines, ''].join('\n');

  it('a later file overrides an earlier one; /etc/sysctl.conf is applied last', () => {
    const p = parseSysctlConf(
      file('/usr/lib/sysctl.d/10-a.conf', 'vm.swappiness = 60') +
        file('/etc/sysctl.d/20-b.conf', 'vm.swappiness=10') +
        file('/etc/sysctl.conf', '# c', 'vm.swappiness =  1'),
    );
    expect(p.assignments).toEqual([{ key: 'vm.swappiness', value: '1', source: '/etc/sysctl.conf:2' }]);
  });

  it('slash keys are converted as sysctl.d(5) says; a dot inside a level becomes a slash', () => {
    expect(sysctlKeyNotation('net/ipv4/ip_forward')).toBe('net.ipv4.ip_forward');
    expect(sysctlKeyNotation('/net/ipv4/ip_forward')).toBe('net.ipv4.ip_forward');
    expect(sysctlKeyNotation('net/ipv4/conf/eth0.100/rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(sysctlKeyNotation('net.ipv4.conf.eth0/100.rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(sysctlKeyNotation('kernel..pid_max')).toBe('kernel.pid_max');
    const p = parseSysctlConf(file('/etc/sysctl.d/x.conf', 'net.ipv4.ip_forward = 0', 'net/ipv4/ip_forward = 1'));
    expect(p.assignments).toEqual([{ key: 'net.ipv4.ip_forward', value: '1', source: '/etc/sysctl.d/x.conf:2' }]);
  });

  it('`-key` applies like key; globs are kept as written; values have inner runs of blanks folded', () => {
    const p = parseSysctlConf(
      file('/etc/sysctl.d/x.conf', '-net.ipv4.conf.*.rp_filter = 2', 'kernel.printk = 4\t4  1 7', '; comment', '  # comment'),
    );
    expect(p.assignments).toEqual([
      { key: 'net.ipv4.conf.*.rp_filter', value: '2', source: '/etc/sysctl.d/x.conf:1' },
      { key: 'kernel.printk', value: '4 4 1 7', source: '/etc/sysctl.d/x.conf:2' },
    ]);
  });

  it('lines that are not key = value are ignored with file:line; unreadable files are listed, not read as empty', () => {
    const p = parseSysctlConf(
      `${file('/etc/sysctl.d/x.conf', 'vm swappiness 10', '= 3', 'a b = 1')}${UNREADABLE_MARKER}/etc/sysctl.d/secret.conf\n`,
    );
    expect(p.assignments).toEqual([]);
    expect(p.ignored).toEqual([
      '/etc/sysctl.d/x.conf:1: vm swappiness 10',
      '/etc/sysctl.d/x.conf:2: = 3',
      '/etc/sysctl.d/x.conf:3: a b = 1',
    ]);
    expect(p.unreadable).toEqual(['/etc/sysctl.d/secret.conf']);
  });

  it('never throws and keeps its invariants on arbitrary input (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        FILE_MARKER + '/etc/sysctl.d/a.conf',
        UNREADABLE_MARKER + '/x',
        '=',
        ' = ',
        '-',
        '#',
        ';',
        '/',
        '.',
        '..',
        '\r',
        '\t',
        'vm.swappiness',
        '*',
      ),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
          { maxLength: 30 },
        ),
        (lines) => {
          const p = parseSysctlConf(lines.join('\n'));
          const keys = p.assignments.map((a) => a.key);
          expect(new Set(keys).size).toBe(keys.length);
          for (const a of p.assignments) {
            expect(a.key).not.toBe('');
            expect(a.key).not.toMatch(/\s/);
            expect(a.source).toMatch(/:\d+$/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('SYSCTL_CONF_SCRIPT under the real /bin/sh (directories re-rooted into a temp dir)', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'driftd-sysctl-conf-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  /** As root, `unprivileged` drops to nobody (setpriv), so a mode-000 file really is unreadable. */
  const run = (unprivileged = false) => {
    let script = SYSCTL_CONF_SCRIPT;
    for (const path of [...SYSCTL_CONF_DIRS, SYSCTL_CONF_FILE]) script = script.split(` ${path}`).join(` ${root}${path}`);
    const argv =
      unprivileged && process.getuid?.() === 0
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', script]
        : ['/bin/sh', '-c', script];
    const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    expect(out.status, out.stderr).toBe(0);
    return { text: out.stdout.split(root).join(''), parsed: parseSysctlConf(out.stdout.split(root).join('')) };
  };

  it('re-rooting reached every directory the script names', () => {
    let script = SYSCTL_CONF_SCRIPT;
    for (const path of [...SYSCTL_CONF_DIRS, SYSCTL_CONF_FILE]) script = script.split(` ${path}`).join(` ${root}${path}`);
    for (const path of [...SYSCTL_CONF_DIRS, SYSCTL_CONF_FILE]) expect(script).toContain(`${root}${path}`);
  });

  it('a name in /etc/sysctl.d hides the same name in /usr/lib/sysctl.d; files apply sorted by name, /etc/sysctl.conf last', () => {
    put('/usr/lib/sysctl.d/50-x.conf', 'vm.swappiness = 60\nkernel.pid_max = 4194304\n');
    put('/etc/sysctl.d/50-x.conf', 'vm.swappiness = 20\n');
    put('/run/sysctl.d/10-early.conf', 'vm.swappiness = 99\nnet.core.somaxconn = 1024\n');
    put('/lib/sysctl.d/90-late.conf', 'net.core.somaxconn = 4096\n');
    put('/etc/sysctl.conf', 'kernel.panic = 10\n');
    const { text, parsed } = run();
    expect(text.split('\n').filter((l) => l.startsWith(FILE_MARKER))).toEqual([
      `${FILE_MARKER}/run/sysctl.d/10-early.conf`,
      `${FILE_MARKER}/etc/sysctl.d/50-x.conf`,
      `${FILE_MARKER}/lib/sysctl.d/90-late.conf`,
      `${FILE_MARKER}/etc/sysctl.conf`,
    ]);
    const got = Object.fromEntries(parsed.assignments.map((a) => [a.key, [a.value, a.source]]));
    expect(got).toEqual({
      'vm.swappiness': ['20', '/etc/sysctl.d/50-x.conf:1'],
      'net.core.somaxconn': ['4096', '/lib/sysctl.d/90-late.conf:1'],
      'kernel.panic': ['10', '/etc/sysctl.conf:1'],
    });
    // The masked /usr/lib copy's other key is gone with it.
    expect(got['kernel.pid_max']).toBeUndefined();
  });

  it('a name linked to /dev/null masks the vendor file and prints nothing', () => {
    put('/usr/lib/sysctl.d/50-pid-max.conf', 'kernel.pid_max = 4194304\n');
    mkdirSync(join(root, '/etc/sysctl.d'), { recursive: true });
    symlinkSync('/dev/null', join(root, '/etc/sysctl.d/50-pid-max.conf'));
    const { text, parsed } = run();
    expect(text).toBe('');
    expect(parsed.assignments).toEqual([]);
  });

  it('only *.conf files count; no directory at all is no file, exit 0', () => {
    expect(run().text).toBe('');
    put('/etc/sysctl.d/README', 'vm.swappiness = 1\n');
    put('/etc/sysctl.d/50-x.conf.dpkg-old', 'vm.swappiness = 2\n');
    expect(run().parsed.assignments).toEqual([]);
  });

  it('an unreadable file is reported as unreadable, and the readable ones still read', () => {
    put('/etc/sysctl.d/60-secret.conf', 'vm.swappiness = 5\n');
    put('/etc/sysctl.d/70-open.conf', 'kernel.panic = 3\n');
    chmodSync(join(root, '/etc/sysctl.d/60-secret.conf'), 0o000);
    chmodSync(root, 0o755);
    const { parsed } = run(true);
    expect(parsed.unreadable).toEqual(['/etc/sysctl.d/60-secret.conf']);
    expect(parsed.assignments).toEqual([{ key: 'kernel.panic', value: '3', source: '/etc/sysctl.d/70-open.conf:1' }]);
  });
});
