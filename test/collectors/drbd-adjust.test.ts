/**
 * The drbd facet's runtime part: `drbdadm -d adjust` per resource (DRBD_ADJUST_SCRIPT,
 * parseDrbdAdjust), read into `runtime.adjust.<resource>` items.
 *
 * No DRBD module can be loaded here, so the running state comes from drbd-utils' own test
 * hook: FAKE_DRBDSETUP_SHOW makes the real drbdadm read a hand-written `drbdsetup show`
 * instead of asking the kernel. The `handmade-adjust-dry-run-*` fixtures are what the
 * real script and the real drbdadm 9.22.0 print for those states; with drbd-utils
 * installed (CI installs it) they are regenerated here and must match.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { redactSecret } from '../../src/collectors/secrets.js';
import {
  DRBD_ADJUST_COMMAND,
  DRBD_ADJUST_FAILED_MARKER,
  DRBD_ADJUST_MARKER,
  DRBD_ADJUST_PREFIX,
  DRBD_ADJUST_SCRIPT,
  DRBD_DUMP_COMMAND,
  DRBD_KERNEL_COMMAND,
  DRBD_USERLAND_COMMAND,
  drbdCollector,
  parseDrbdAdjust,
} from '../../src/collectors/drbd.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { FIXTURES, failed, ok } from './fixture-outputs.js';

const DIR = join(FIXTURES, 'cluster', 'drbd');
const DEMO_CONF = join(FIXTURES, 'cluster', 'demo-src', 'drbd.conf');
const CTX = DEFAULT_COLLECTOR_CONTEXT;
const DRBDADM = '/usr/sbin/drbdadm';
const SECRET = 'demo-only-not-a-real-secret';

function fixture(file: string): string {
  return readFileSync(join(DIR, file), 'utf8');
}

/** A drbd facet whose dump, versions and adjust output are all given; the dump is the real Debian default. */
function parseWithAdjust(adjust: CommandOutput | undefined): FacetSnapshot {
  const outputs: Record<string, CommandOutput> = {
    [DRBD_DUMP_COMMAND]: { ...ok(fixture('drbdadm-9.22.0-dump-debian12-default.txt')), stderr: 'driftd: source=drbdadm\n' },
    [DRBD_KERNEL_COMMAND]: ok('9.2.5\n'),
    [DRBD_USERLAND_COMMAND]: ok(fixture('drbdadm-9.22.0-version.txt')),
  };
  if (adjust) outputs[DRBD_ADJUST_COMMAND] = adjust;
  return drbdCollector.parse(outputs, CTX);
}

function adjustItems(facet: FacetSnapshot): Record<string, string> {
  return Object.fromEntries(
    Object.entries(facet.items)
      .filter(([k]) => k.startsWith(DRBD_ADJUST_PREFIX))
      .map(([k, v]) => [k.slice(DRBD_ADJUST_PREFIX.length), v.value]),
  );
}

describe('drbd adjust: command', () => {
  it('is the fourth drbd command: a constant script under /bin/sh, under sudo (drbdsetup netlink is root only)', () => {
    const spec = drbdCollector.commands(CTX).find((s) => s.id === DRBD_ADJUST_COMMAND);
    expect(spec).toEqual({ id: 'drbd-adjust-dry-run', argv: ['/bin/sh', '-c', DRBD_ADJUST_SCRIPT], sudo: true });
    // Dry run only: `-d` on every adjust, and no other drbdadm verb than sh-resources.
    expect(DRBD_ADJUST_SCRIPT).toContain('"$a" -d adjust "$r"');
    expect([...DRBD_ADJUST_SCRIPT.matchAll(/"\$a" ([a-z-]\S*(?: [a-z]+)?)/g)].map((m) => m[1])).toEqual(['sh-resources', '-d adjust']);
  });
});

describe('drbd adjust: the hand-made fixtures (real drbdadm 9.22.0, hand-written running state)', () => {
  it('pending: every command drbdadm would run, in its order, shared secret redacted to the dump digest', () => {
    const facet = parseWithAdjust(ok(fixture('handmade-adjust-dry-run-pending.txt')));
    expect(facet.status).toBe('ok');
    expect(facet.meta).toEqual({ source: 'drbdadm' });
    const digest = redactSecret(SECRET);
    expect(adjustItems(facet)).toEqual({
      erpdata: [
        `/usr/sbin/drbdsetup new-peer erpdata 2 --_name=erp-c --shared-secret=${digest} --cram-hmac-alg=sha256 --protocol=C`,
        '/usr/sbin/drbdsetup new-path erpdata 2 ipv4:10.0.0.11:7789 ipv4:10.0.0.13:7789',
        `/usr/sbin/drbdsetup net-options erpdata 1 --set-defaults --_name=erp-b --shared-secret=${digest} --cram-hmac-alg=sha256 --protocol=C`,
        '/usr/sbin/drbdsetup connect erpdata 2',
      ].join('\n'),
    });
    expect(JSON.stringify(facet)).not.toContain(SECRET);
    expect(facet.items[`${DRBD_ADJUST_PREFIX}erpdata`]?.nodeSpecific).toMatch(/running state/);
  });

  it('in sync: an item with the empty value, not a missing one', () => {
    const facet = parseWithAdjust(ok(fixture('handmade-adjust-dry-run-in-sync.txt')));
    expect(facet.status).toBe('ok');
    expect(facet.items[`${DRBD_ADJUST_PREFIX}erpdata`]).toEqual({ value: '', nodeSpecific: expect.any(String) });
    expect(facet.meta).toEqual({ source: 'drbdadm' });
  });

  it('failed dry run (drbdadm 9.22 cannot read what a newer drbdsetup shows): no item, the failure in meta', () => {
    const facet = parseWithAdjust(ok(fixture('handmade-adjust-dry-run-failed.txt')));
    expect(facet.status).toBe('ok');
    expect(adjustItems(facet)).toEqual({});
    expect(facet.meta).toEqual({ source: 'drbdadm', adjust_failed: 'erpdata (exit 10)' });
  });

  it('the other drbd items do not depend on the adjust output', () => {
    const without = parseWithAdjust(undefined);
    const withPending = parseWithAdjust(ok(fixture('handmade-adjust-dry-run-pending.txt')));
    const rest = Object.fromEntries(Object.entries(withPending.items).filter(([k]) => !k.startsWith(DRBD_ADJUST_PREFIX)));
    expect(rest).toEqual(without.items);
    expect(without.meta).toEqual({ source: 'drbdadm' });
  });
});

describe('drbd adjust: what the collector keeps', () => {
  it.each([
    ['no recording (older replay)', undefined],
    ['module not loaded: exit 0, nothing printed', { ...ok(''), stderr: 'driftd: drbd not loaded\n' }],
    ['the script failed under sudo', failed(1, 'sudo: a password is required\n')],
    ['killed', { ...ok(`${DRBD_ADJUST_MARKER}r0\ndrbdsetup connect r0 1\n`), exitCode: null }],
  ])('%s: no runtime.adjust items, facet still ok', (_name, output) => {
    const facet = parseWithAdjust(output);
    expect(facet.status).toBe('ok');
    expect(adjustItems(facet)).toEqual({});
    expect(facet.items['version.userland']?.value).toBe('9.22.0');
    expect(facet.meta).toEqual({ source: 'drbdadm' });
  });

  it('a cut output says nothing about any resource (its last one could read as in sync)', () => {
    const facet = parseWithAdjust({ ...ok(`${DRBD_ADJUST_MARKER}r0\ndrbdsetup connect r0 1\n${DRBD_ADJUST_MARKER}r1\n`), truncated: true });
    expect(adjustItems(facet)).toEqual({});
    expect(facet.meta).toEqual({ source: 'drbdadm', adjust_failed: 'output truncated' });
  });

  it('several resources, each with its own commands; blank and # lines dropped, lines trimmed', () => {
    const text = [
      `${DRBD_ADJUST_MARKER}r0`,
      'drbdsetup disk-options 0 --set-defaults --resync-after=-1',
      '',
      `${DRBD_ADJUST_MARKER}r1`,
      `${DRBD_ADJUST_MARKER}r2`,
      '# drbdadm remark',
      '   drbdsetup resource-options r2 --set-defaults --quorum=majority   ',
      'drbdsetup connect r2 1',
      '',
    ].join('\n');
    expect(adjustItems(parseWithAdjust(ok(text)))).toEqual({
      r0: 'drbdsetup disk-options 0 --set-defaults --resync-after=-1',
      r1: '',
      r2: 'drbdsetup resource-options r2 --set-defaults --quorum=majority\ndrbdsetup connect r2 1',
    });
  });

  it('a failed resource among good ones: only it is unknown', () => {
    const text = `${DRBD_ADJUST_MARKER}r0\n${DRBD_ADJUST_MARKER}r1\ndrbdsetup connect r1 1\n${DRBD_ADJUST_FAILED_MARKER}exit 20\n${DRBD_ADJUST_MARKER}r2\ndrbdsetup connect r2 1\n`;
    const facet = parseWithAdjust(ok(text));
    expect(adjustItems(facet)).toEqual({ r0: '', r2: 'drbdsetup connect r2 1' });
    expect(facet.meta?.adjust_failed).toBe('r1 (exit 20)');
  });

  it('lines before the first marker belong to no resource', () => {
    expect(parseDrbdAdjust('drbdsetup down r9\n')).toEqual({ pending: new Map(), failed: new Map() });
  });

  it.each([
    // How drbdadm 9.22.0 escapes a secret with a space and a quote (seen here: `two\ words\"q`).
    ['--shared-secret=two\\ words\\"q --protocol=C', `--shared-secret=${redactSecret('two words"q')} --protocol=C`],
    ['--shared-secret=abc', `--shared-secret=${redactSecret('abc')}`],
    ['--shared-secret=tail\\', `--shared-secret=${redactSecret('tail\\')}`],
    ['--_name=secretary --protocol=C', '--_name=secretary --protocol=C'],
    ['--cram-hmac-alg=sha256', '--cram-hmac-alg=sha256'],
  ])('redacts secret options: %s', (args, expected) => {
    const parsed = parseDrbdAdjust(`${DRBD_ADJUST_MARKER}r0\ndrbdsetup net-options r0 1 ${args}\n`);
    expect(parsed.pending.get('r0')).toEqual([`drbdsetup net-options r0 1 ${expected}`]);
  });
});

const haveDrbdadm = existsSync(DRBDADM);
if (!haveDrbdadm) console.warn('SKIP: drbd-adjust real-script tests need drbd-utils (/usr/sbin/drbdadm): apt-get install drbd-utils');

describe('drbd adjust: the real script', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'driftd-drbd-adjust-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /**
   * DRBD_ADJUST_SCRIPT with its drbdadm replaced by a wrapper that runs the real one on the
   * demo configuration as node erp-a, reading `show` as the running state, and /proc/drbd
   * replaced by a file that exists (the module is "loaded").
   */
  function runWithRunningState(show: string): CommandOutput {
    const wrapper = join(tmp, 'drbdadm');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec env __DRBD_NODE__=erp-a DRBD_DRIVER_VERSION_OVERRIDE=9.2.0 FAKE_DRBDSETUP_SHOW='${show}' ${DRBDADM} -c '${DEMO_CONF}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const procDrbd = join(tmp, 'proc-drbd');
    writeFileSync(procDrbd, 'version: 9.2.0 (api:2/proto:86-121)\n');
    const script = DRBD_ADJUST_SCRIPT.replace('/usr/sbin/drbdadm /sbin/drbdadm', wrapper).replace('/proc/drbd', procDrbd);
    expect(script).not.toContain('/usr/sbin/drbdadm');
    expect(script).not.toContain('/proc/drbd');
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr, truncated: false };
  }

  it.skipIf(!haveDrbdadm)('module not loaded here (no /proc/drbd): exit 0, no output, no items', () => {
    if (existsSync('/proc/drbd')) {
      console.warn('SKIP: a DRBD module is loaded on this machine; the not-loaded case cannot be run');
      return;
    }
    const r = spawnSync('/bin/sh', ['-c', DRBD_ADJUST_SCRIPT], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('driftd: drbd not loaded\n');
    const facet = parseWithAdjust({ exitCode: r.status, stdout: r.stdout, stderr: r.stderr, truncated: false });
    expect(adjustItems(facet)).toEqual({});
  });

  it.skipIf(!haveDrbdadm).each([
    ['handmade-drbdsetup-show-erpdata-in-sync.txt', 'handmade-adjust-dry-run-in-sync.txt'],
    ['handmade-drbdsetup-show-erpdata-protocol-A-no-erp-c.txt', 'handmade-adjust-dry-run-pending.txt'],
    ['handmade-drbdsetup-show-erpdata-newer-drbdsetup.txt', 'handmade-adjust-dry-run-failed.txt'],
  ])('running state %s: the script prints exactly %s', (show, expected) => {
    const out = runWithRunningState(join(DIR, show));
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(fixture(expected));
  });

  it.skipIf(!haveDrbdadm)('no running resource at all: the whole bring-up is pending', () => {
    const empty = join(tmp, 'show-empty.txt');
    writeFileSync(empty, '');
    const out = runWithRunningState(empty);
    expect(out.exitCode).toBe(0);
    const items = adjustItems(parseWithAdjust(out));
    expect(items.erpdata?.split('\n')).toEqual([
      '/usr/sbin/drbdsetup new-resource erpdata 0 --quorum=majority --on-no-quorum=io-error',
      '/usr/sbin/drbdsetup new-minor erpdata 0 0',
      `/usr/sbin/drbdsetup new-peer erpdata 1 --_name=erp-b --shared-secret=${redactSecret(SECRET)} --cram-hmac-alg=sha256 --protocol=C`,
      `/usr/sbin/drbdsetup new-peer erpdata 2 --_name=erp-c --shared-secret=${redactSecret(SECRET)} --cram-hmac-alg=sha256 --protocol=C`,
      '/usr/sbin/drbdsetup new-path erpdata 1 ipv4:10.0.0.11:7789 ipv4:10.0.0.12:7789',
      '/usr/sbin/drbdsetup new-path erpdata 2 ipv4:10.0.0.11:7789 ipv4:10.0.0.13:7789',
      '/usr/sbin/drbdmeta 0 v09 /dev/vg_erp/lv_erpdata internal apply-al',
      '/usr/sbin/drbdsetup attach 0 /dev/vg_erp/lv_erpdata /dev/vg_erp/lv_erpdata internal',
      '/usr/sbin/drbdsetup connect erpdata 1',
      '/usr/sbin/drbdsetup connect erpdata 2',
    ]);
  });
});

describe('drbd adjust: never throws', () => {
  const adjustish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          DRBD_ADJUST_MARKER,
          DRBD_ADJUST_FAILED_MARKER,
          'r0',
          '\n',
          '\r\n',
          ' ',
          '#',
          '--shared-secret=',
          '\\',
          'drbdsetup connect r0 1',
          '=',
          '--',
        ),
        fc.string({ maxLength: 6 }),
        fc.string({ unit: 'grapheme', maxLength: 4 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));

  it('parseDrbdAdjust on arbitrary text: only named resources, each either pending or failed, no secret kept', () => {
    fc.assert(
      fc.property(fc.oneof(adjustish, fc.string({ unit: 'binary' })), (text) => {
        const { pending, failed: failedRes } = parseDrbdAdjust(text);
        for (const name of [...pending.keys(), ...failedRes.keys()]) expect(name).not.toBe('');
        for (const name of pending.keys()) expect(failedRes.has(name)).toBe(false);
        for (const lines of pending.values()) {
          for (const line of lines) {
            expect(line).toBe(line.trim());
            expect(line).not.toBe('');
            expect(line).not.toMatch(/--shared-secret=(?!redacted:sha256:[0-9a-f]{16}(\s|$))/);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the drbd collector with an arbitrary adjust output', () => {
    fc.assert(
      fc.property(
        adjustish,
        fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
        fc.boolean(),
        (stdout, exitCode, truncated) => {
          const facet = parseWithAdjust({ exitCode, stdout, stderr: '', truncated });
          // A cut output of any of its commands makes the facet truncated (src/collectors/output.ts).
          expect(facet.status).toBe(truncated ? 'truncated' : 'ok');
          for (const [key, item] of Object.entries(facet.items)) {
            expect(typeof item.value).toBe('string');
            if (key.startsWith(DRBD_ADJUST_PREFIX)) expect(item.nodeSpecific).toBeTruthy();
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
