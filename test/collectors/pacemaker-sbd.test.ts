/**
 * SBD settings for the fencing-timeout practice: the parser on real captures of sbd 1.5.2,
 * and the constant script under the real /bin/sh and the real /usr/sbin/sbd, its sysconfig
 * paths re-rooted into a temp dir. The script reads; it must never run what the file says.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSbd, SBD_DUMP_MARKER, SBD_FILE_MARKER, SBD_SCRIPT } from '../../src/collectors/pacemaker-sbd.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/cluster/sbd');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const SBD = '/usr/sbin/sbd';
if (!existsSync(SBD)) console.warn('SBD SCRIPT TESTS SKIPPED: /usr/sbin/sbd missing (Debian package sbd; `sudo npm test` installs it)');

describe('parseSbd on real sbd 1.5.2 captures (fixtures/cluster/sbd)', () => {
  it('the shipped Debian file: diskless, no device, no header', () => {
    const p = parseSbd(fixture('debian12-sbd-1.5.2-default.txt'));
    expect(p.file).toBe('/etc/default/sbd');
    expect(p.variables.SBD_DEVICE).toBeUndefined();
    expect(p.variables).toMatchObject({
      SBD_PACEMAKER: 'yes',
      SBD_STARTMODE: 'always',
      SBD_WATCHDOG_DEV: '/dev/watchdog',
      SBD_WATCHDOG_TIMEOUT: '5',
    });
    expect(p.header).toEqual({});
  });

  it('a disk device created with watchdog 15 s and msgwait 30 s: the header timeouts as sbd dump printed them', () => {
    const p = parseSbd(fixture('debian12-sbd-1.5.2-disk-loop-msgwait30.txt'));
    expect(p.variables.SBD_DEVICE).toBe('/dev/loop0');
    expect(p.header).toMatchObject({ watchdog: '15', msgwait: '30' });
  });

  it('never throws on arbitrary input; header values are whole seconds (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        SBD_FILE_MARKER + '/etc/default/sbd',
        SBD_FILE_MARKER + '/etc/sysconfig/sbd',
        SBD_DUMP_MARKER + '/dev/x',
        'SBD_DEVICE=',
        'export ',
        '"',
        "'",
        ' #',
        'Timeout (msgwait) : 10',
        'Timeout (',
        ') : ',
        '\r',
        '\n',
      ),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
        (text) => {
          const p = parseSbd(text);
          for (const v of Object.values(p.header)) expect(v).toMatch(/^\d+$/);
          for (const k of Object.keys(p.variables)) expect(k).toMatch(/^[A-Z][A-Z0-9_]*$/);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseSbd semantics (hand-made inputs)', () => {
  it('reads values as the shell would: quotes, export, trailing comments; the first file wins', () => {
    const text = [
      `${SBD_FILE_MARKER}/etc/sysconfig/sbd`,
      'export SBD_DEVICE="/dev/disk/by-id/a;/dev/disk/by-id/b" # two devices',
      "SBD_WATCHDOG_TIMEOUT='10'",
      'SBD_DELAY_START=yes # comment',
      `${SBD_FILE_MARKER}/etc/default/sbd`,
      'SBD_WATCHDOG_TIMEOUT=99',
    ].join('\n');
    const p = parseSbd(text);
    expect(p.file).toBe('/etc/sysconfig/sbd');
    expect(p.variables).toEqual({ SBD_DEVICE: '/dev/disk/by-id/a;/dev/disk/by-id/b', SBD_WATCHDOG_TIMEOUT: '10', SBD_DELAY_START: 'yes' });
  });

  it('only the first device that answered gives the header; an error dump gives none', () => {
    const text = [
      `${SBD_DUMP_MARKER}/dev/missing`,
      '== disk /dev/missing unreadable!',
      `${SBD_DUMP_MARKER}/dev/a`,
      'Timeout (watchdog) : 5',
      'Timeout (msgwait)  : 10',
      `${SBD_DUMP_MARKER}/dev/b`,
      'Timeout (msgwait)  : 99',
    ].join('\n');
    expect(parseSbd(text).header).toEqual({ watchdog: '5', msgwait: '10' });
  });
});

describe.skipIf(!existsSync(SBD))('SBD_SCRIPT under the real /bin/sh and /usr/sbin/sbd (sysconfig re-rooted into a temp dir)', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'driftd-sbd-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const run = () => {
    const script = SBD_SCRIPT.split(' /etc/sysconfig/sbd')
      .join(` ${root}/etc/sysconfig/sbd`)
      .split(' /etc/default/sbd')
      .join(` ${root}/etc/default/sbd`);
    expect(script).toContain(`${root}/etc/default/sbd`);
    const out = spawnSync('/bin/sh', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      timeout: 30_000,
    });
    expect(out.status, out.stderr).toBe(0);
    const text = out.stdout.split(root).join('');
    return { text, parsed: parseSbd(text) };
  };

  it('no sbd file: no output, exit 0', () => {
    expect(run().text).toBe('');
  });

  it('the shipped Debian file reproduces the real capture byte for byte', () => {
    const shipped = fixture('debian12-sbd-1.5.2-default.txt');
    const body = shipped.slice(shipped.indexOf('\n') + 1).replace(/\n$/, '');
    put('/etc/default/sbd', body);
    expect(run().text).toBe(shipped);
  });

  it('each ;-separated device is dumped in turn; a device that is no SBD disk gives no header', () => {
    put('/etc/default/sbd', 'SBD_DEVICE="/nonexistent/sbd-a; /nonexistent/sbd-b"\nSBD_WATCHDOG_TIMEOUT=5\n');
    const { text, parsed } = run();
    expect(text.split('\n').filter((l) => l.startsWith(SBD_DUMP_MARKER))).toEqual([
      `${SBD_DUMP_MARKER}/nonexistent/sbd-a`,
      `${SBD_DUMP_MARKER}/nonexistent/sbd-b`,
    ]);
    expect(parsed.variables).toEqual({ SBD_DEVICE: '/nonexistent/sbd-a; /nonexistent/sbd-b', SBD_WATCHDOG_TIMEOUT: '5' });
    expect(parsed.header).toEqual({});
  });

  it('a hostile SBD_DEVICE reaches sbd as data, never as shell: nothing it names runs', () => {
    const canary = join(root, 'ran');
    put('/etc/default/sbd', `SBD_DEVICE="/dev/x$(touch ${canary})\`touch ${canary}\`|touch ${canary}"\nSBD_OPTS=$(touch ${canary})\n`);
    const { text } = run();
    expect(existsSync(canary)).toBe(false);
    expect(text).toContain(`${SBD_DUMP_MARKER}/dev/x$(touch`);
  });

  it('the sysconfig of SUSE and RHEL wins over the Debian path when both exist', () => {
    put('/etc/sysconfig/sbd', 'SBD_WATCHDOG_TIMEOUT=15\n');
    put('/etc/default/sbd', 'SBD_WATCHDOG_TIMEOUT=5\n');
    const { parsed } = run();
    expect(parsed.file).toBe('/etc/sysconfig/sbd');
    expect(parsed.variables.SBD_WATCHDOG_TIMEOUT).toBe('15');
  });
});
