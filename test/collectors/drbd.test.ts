import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import {
  DRBD_DUMP_COMMAND,
  DRBD_ADJUST_SCRIPT,
  DRBD_DUMP_SCRIPT,
  DRBD_KERNEL_COMMAND,
  DRBD_KERNEL_SCRIPT,
  DRBD_USERLAND_COMMAND,
  DRBD_USERLAND_SCRIPT,
  drbdCollector,
  parseDrbdadmVersion,
  parseKernelVersion,
} from '../../src/collectors/drbd.js';
import { parseDrbdConf } from '../../src/collectors/drbd-conf.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { FIXTURES, failed, fixtureOutputs, ok } from './fixture-outputs.js';

const DIR = join(FIXTURES, 'cluster', 'drbd');
const CTX = DEFAULT_COLLECTOR_CONTEXT;

function fixture(file: string): string {
  return readFileSync(join(DIR, file), 'utf8');
}

const VERSION = ok(fixture('drbdadm-9.22.0-version.txt'));
const NOT_LOADED = ok('not loaded\n');

function parseDump(text: string, source = 'drbdadm'): FacetSnapshot {
  return drbdCollector.parse(
    {
      [DRBD_DUMP_COMMAND]: { ...ok(text), stderr: `driftd: source=${source}\nmodinfo: ERROR: Module drbd not found.\n` },
      [DRBD_KERNEL_COMMAND]: NOT_LOADED,
      [DRBD_USERLAND_COMMAND]: VERSION,
    },
    CTX,
  );
}

function values(facet: FacetSnapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(facet.items).map(([k, v]) => [k, v.value]));
}

describe('drbd collector: commands', () => {
  it('four constant scripts under an absolute /bin/sh; the dump and the adjust dry run under sudo', () => {
    expect(drbdCollector.commands(CTX)).toEqual([
      { id: 'drbd-dump', argv: ['/bin/sh', '-c', DRBD_DUMP_SCRIPT], sudo: true },
      { id: 'drbd-kernel-version', argv: ['/bin/sh', '-c', DRBD_KERNEL_SCRIPT] },
      { id: 'drbd-utils-version', argv: ['/bin/sh', '-c', DRBD_USERLAND_SCRIPT] },
      { id: 'drbd-adjust-dry-run', argv: ['/bin/sh', '-c', DRBD_ADJUST_SCRIPT], sudo: true },
    ]);
  });
});

describe('drbd collector: every fixture', () => {
  it.each([
    [
      'drbdadm-9.22.0-dump-example.txt',
      'drbdadm',
      150,
      {
        'resource.example.hosts': 'sepp,wurzel',
        'resource.example.on.wurzel.address': 'ipv4 192.168.47.1:7780',
        'resource.example.on.sepp.volume.0.disk': '/dev/vg_sepp/lg_example',
        'resource.example.volume.1.disk.resync-after': 'example/0',
        'resource.example.volume.1.disk': '/dev/sdb1',
        'resource.ipv6_example_res.on.amd.address': 'ipv6 [fd0c:39f4:f135:305:230:48ff:fe63:5c9a]:7789',
        'resource.drbd_9_two_connection.connection[alpha,bravo].net.protocol': 'C',
        'resource.drbd_9_two_connection.connection[alpha,charlie].host.alpha': 'address ipv4 127.0.0.1:7800 via proxy on alpha',
        'resource.drbd_9_mesh.connection-mesh.hosts': 'alpha bravo charlie',
        'resource.drbd_9_multi_path.connection.path[alpha,bravo][#1].host.bravo': 'address ipv4 192.168.42.2:7900',
        'resource.stacked_multi_volume.proxy.plugin.lzma': 'contexts 4 level 9',
        'version.userland': '9.22.0',
        'version.kernel': 'not loaded',
      },
    ],
    [
      'drbd-utils-9.22.0-drbd.conf.example',
      'files',
      142,
      {
        'resource.example.hosts': 'sepp,wurzel',
        // The raw file has no address family; drbdadm adds it in the dump.
        'resource.example.on.wurzel.address': '192.168.47.1:7780',
        'resource.alpha-bravo.net.cram-hmac-alg': 'sha1',
      },
    ],
    ['drbdadm-9.22.0-dump-debian12-default.txt', 'drbdadm', 4, { 'global.usage-count': 'no', 'version.userland-api': '2' }],
    ['debian12-drbd-utils-9.22.0-global_common.conf', 'files', 5, { 'global.usage-count': 'no', 'global.udev-always-use-vnr': 'yes' }],
    [
      'crmsh-history-test-xen-d-global_common.conf',
      'files',
      7,
      {
        'common.handlers.local-io-error':
          '"/usr/lib/drbd/notify-io-error.sh; /usr/lib/drbd/notify-emergency-shutdown.sh; echo o > /proc/sysrq-trigger ; halt -f"',
      },
    ],
  ] as const)('%s (%s): %i items', (file, source, count, expected) => {
    const facet = parseDump(fixture(file), source);
    expect(facet.error).toBeUndefined();
    expect(facet.status).toBe('ok');
    expect(facet.meta).toEqual({ source });
    expect(Object.keys(facet.items)).toHaveLength(count);
    expect(values(facet)).toMatchObject(expected);
    // `on <host>` sections stay comparable: every node lists every peer identically.
    for (const [key, item] of Object.entries(facet.items)) expect(item.nodeSpecific, key).toBeUndefined();
  });

  it('redacts shared secrets but keeps them comparable', () => {
    const facet = values(parseDump(fixture('drbdadm-9.22.0-dump-example.txt')));
    expect(facet['resource.example.net.shared-secret']).toMatch(/^redacted:sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(facet)).not.toContain('secret_string');
    expect(JSON.stringify(facet)).not.toContain('ieho4CiiUmaes6Ai');
    const raw = values(parseDump(fixture('drbd-utils-9.22.0-drbd.conf.example'), 'files'));
    // Quoted in the file, bare in the dump: the same secret gives the same digest.
    expect(raw['resource.example.net.shared-secret']).toBe(facet['resource.example.net.shared-secret']);
  });

  it('a changed peer address on one node changes exactly that item', () => {
    const text = fixture('drbdadm-9.22.0-dump-example.txt');
    const changed = text.replace('address          ipv4 192.168.47.2:7780;', 'address          ipv4 192.168.47.9:7780;');
    expect(changed).not.toBe(text);
    const a = values(parseDump(text));
    const b = values(parseDump(changed));
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(['resource.example.on.sepp.address']);
  });

  it('comments (drbdadm notes which host printed the dump) do not matter', () => {
    const text = fixture('drbdadm-9.22.0-dump-example.txt');
    expect(parseDump(text.replace(/ on vm: /g, ' on erp-a: '))).toEqual(parseDump(text));
  });
});

describe('drbd collector: versions', () => {
  it.each([
    ['9.2.5\n', '9.2.5'],
    ['version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 2EBA3B1D\n', '8.4.11'],
    ['version: 9.2.7 (api:2/proto:86-122)\n', '9.2.7'],
    ['not loaded\n', 'not loaded'],
    ['garbage here\n', undefined],
    ['', undefined],
  ])('kernel version from %j', (text, version) => {
    expect(parseKernelVersion(text)).toBe(version);
  });

  it('reads the real drbdadm --version output', () => {
    expect(parseDrbdadmVersion(fixture('drbdadm-9.22.0-version.txt'))).toMatchObject({
      DRBDADM_VERSION: '9.22.0',
      DRBDADM_API_VERSION: '2',
      DRBD_KERNEL_VERSION: '0',
    });
  });

  it('takes the kernel version from drbdadm when the module files say nothing but drbdadm knows it', () => {
    const version = ok(fixture('drbdadm-9.22.0-version.txt').replace('DRBD_KERNEL_VERSION=0', 'DRBD_KERNEL_VERSION=9.2.5'));
    const facet = drbdCollector.parse(
      { [DRBD_DUMP_COMMAND]: ok('global { usage-count no; }\n'), [DRBD_KERNEL_COMMAND]: NOT_LOADED, [DRBD_USERLAND_COMMAND]: version },
      CTX,
    );
    expect(facet.items['version.kernel']?.value).toBe('9.2.5');
  });

  it('an unrecognised kernel version line is an error naming the command and line', () => {
    const facet = drbdCollector.parse(
      {
        [DRBD_DUMP_COMMAND]: ok('global { usage-count no; }\n'),
        [DRBD_KERNEL_COMMAND]: ok('what is this\n'),
        [DRBD_USERLAND_COMMAND]: VERSION,
      },
      CTX,
    );
    expect(facet.status).toBe('error');
    expect(facet.error).toBe('drbd-kernel-version: line 1: unrecognised version "what is this"');
  });

  it('drbdadm --version without DRBDADM_VERSION is an error', () => {
    const facet = drbdCollector.parse(
      {
        [DRBD_DUMP_COMMAND]: ok('global { usage-count no; }\n'),
        [DRBD_KERNEL_COMMAND]: NOT_LOADED,
        [DRBD_USERLAND_COMMAND]: ok('hello\n'),
      },
      CTX,
    );
    expect(facet.error).toBe('drbd-utils-version: no DRBDADM_VERSION line');
  });
});

describe('drbd collector: unsupported and errors', () => {
  it('a node without /etc/drbd.conf is unsupported, with the reason', () => {
    const facet = drbdCollector.parse(
      {
        [DRBD_DUMP_COMMAND]: failed(3, 'driftd: unsupported: no /etc/drbd.conf\n'),
        [DRBD_KERNEL_COMMAND]: NOT_LOADED,
        [DRBD_USERLAND_COMMAND]: failed(3, 'driftd: unsupported: no drbdadm\n'),
      },
      CTX,
    );
    expect(facet).toEqual({ status: 'unsupported', items: {}, error: 'drbd-dump: no /etc/drbd.conf' });
  });

  it('a drbdadm that rejects the configuration is an error with its message', () => {
    const facet = drbdCollector.parse(
      { [DRBD_DUMP_COMMAND]: failed(10, "driftd: source=drbdadm\n/etc/drbd.d/r0.res:3: Parse error: 'protocol | on | disk' expected,\n") },
      CTX,
    );
    expect(facet).toEqual({
      status: 'error',
      items: {},
      error: "drbd-dump: exit 10: /etc/drbd.d/r0.res:3: Parse error: 'protocol | on | disk' expected,",
    });
  });

  it('drbdadm refusing a node whose own address is not configured (real stderr) is an error that says so', () => {
    const facet = drbdCollector.parse({ [DRBD_DUMP_COMMAND]: failed(10, fixture('drbdadm-9.22.0-dump-ip-not-on-host.stderr')) }, CTX);
    expect(facet).toEqual({
      status: 'error',
      items: {},
      error: 'drbd-dump: exit 10: /etc/drbd.d/erpdata.res: in resource erpdata, on erp-a: IP 10.0.0.11 not found on this host.',
    });
  });

  it.each([
    ['resource r0 {\n  net {\n    protocol C;\n  }\n', 'drbd-dump (drbdadm): line 1: section "resource r0" is never closed'],
    ['resource r0 {\n  protocol C\n}\n', 'drbd-dump (drbdadm): line 2: missing ";" after "protocol C"'],
    ['}\n', 'drbd-dump (drbdadm): line 1: "}" without an open section'],
    ['resource r0 {\n  net { shared-secret "abc; }\n}\n', 'drbd-dump (drbdadm): line 2: unterminated string'],
    ['global {\n}\n{\n', 'drbd-dump (drbdadm): line 3: "{" without a section name'],
  ])('a parse failure names the line: %j', (text, error) => {
    expect(parseDump(text)).toEqual({ status: 'error', items: {}, error });
  });

  it('parseDrbdConf keeps quoted words whole and unescapes them', () => {
    expect(parseDrbdConf('a "b c" "d\\"e";')).toEqual({ ok: true, statements: [{ keyword: 'a', args: ['b c', 'd"e'], line: 1 }] });
  });
});

describe('drbd collector: the real scripts on this host', () => {
  const run = (argv: string[]): CommandOutput => {
    const result = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
    return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr, truncated: false };
  };
  const haveDrbdUtils = existsSync('/usr/sbin/drbdadm') && existsSync('/etc/drbd.conf');
  if (!haveDrbdUtils) console.warn('SKIP: drbd-utils not installed here: apt-get install drbd-utils');

  it.skipIf(!haveDrbdUtils)('dump, kernel and userland versions parse (needs Debian package drbd-utils)', () => {
    const outputs = Object.fromEntries(drbdCollector.commands(CTX).map((spec) => [spec.id, run(spec.argv)]));
    const facet = drbdCollector.parse(outputs, CTX);
    expect(facet.error).toBeUndefined();
    expect(facet.status).toBe('ok');
    expect(facet.meta).toEqual({ source: 'drbdadm' });
    expect(facet.items['version.userland']?.value).toMatch(/^\d+\.\d+\.\d+/);
    expect(facet.items['version.kernel']?.value).toBeTruthy();
  });

  it.skipIf(!existsSync('/bin/sh'))('the kernel script always answers, loaded or not', () => {
    const out = run(['/bin/sh', '-c', DRBD_KERNEL_SCRIPT]);
    expect(out.exitCode).toBe(0);
    expect(parseKernelVersion(out.stdout)).toBeTruthy();
  });
});

describe('drbd collector: never throws', () => {
  const drbdish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'resource r0 {',
          '}',
          '{',
          ';',
          'on a {',
          'host a;',
          'connection {',
          'path {',
          '"',
          '\\',
          '#',
          '\n',
          ' ',
          'volume 0 {',
          'shared-secret x;',
          'include "x";',
          'skip {',
        ),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 50 },
    )
    .map((parts) => parts.join(''));
  const output = (text: fc.Arbitrary<string>): fc.Arbitrary<CommandOutput> =>
    fc.record({
      exitCode: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
      stdout: fc.oneof(text, fc.string({ unit: 'binary' })),
      stderr: fc.oneof(fc.constant(''), fc.string(), fc.constant('driftd: source=files')),
      truncated: fc.boolean(),
    });
  const versionish = fc.oneof(
    fc.constantFrom('not loaded', '9.2.5', 'version: 8.4.11 (api:1)', 'DRBDADM_VERSION=9.22.0\nDRBD_KERNEL_VERSION=9.2.5'),
    fc.string(),
  );

  it('on arbitrary outputs', () => {
    fc.assert(
      fc.property(output(drbdish), output(versionish), output(versionish), (dump, kernel, userland) => {
        const facet = drbdCollector.parse(
          { [DRBD_DUMP_COMMAND]: dump, [DRBD_KERNEL_COMMAND]: kernel, [DRBD_USERLAND_COMMAND]: userland },
          CTX,
        );
        expect(['ok', 'unsupported', 'error', 'truncated']).toContain(facet.status);
        if (facet.status !== 'ok') expect(facet.error).toBeTruthy();
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps every one of many repeated statements, in linear time', () => {
    const facet = parseDump(`global {\n${'usage-count no;\n'.repeat(40_000)}}\n`);
    expect(facet.status).toBe('ok');
    expect(facet.items['global.usage-count.no']?.value).toBe('yes');
    expect(facet.items['global.usage-count.no#40000']?.value).toBe('yes');
  });

  it('on very deep nesting', () => {
    const deep = `${'a {'.repeat(50_000)}${'}'.repeat(50_000)}`;
    expect(['ok', 'error']).toContain(parseDump(deep).status);
  });
});

describe("drbd collector: the demo cluster (real drbdadm 9.22.0 in each node's namespaces)", () => {
  const ids = [DRBD_DUMP_COMMAND, DRBD_KERNEL_COMMAND, DRBD_USERLAND_COMMAND];
  const facets = ['erp-a', 'erp-b', 'erp-c'].map((n) => drbdCollector.parse(fixtureOutputs(`demo/${n}`, ids), CTX));

  it('every node lists the same resource identically', () => {
    expect(facets[0]?.status).toBe('ok');
    expect(Object.keys(facets[0]?.items ?? {})).toHaveLength(20);
    expect(facets[1]).toEqual(facets[0]);
    expect(facets[2]).toEqual(facets[0]);
    expect(values(facets[0] as FacetSnapshot)).toMatchObject({
      'resource.erpdata.hosts': 'erp-a,erp-b,erp-c',
      'resource.erpdata.on.erp-c.address': 'ipv4 10.0.0.13:7789',
      'resource.erpdata.connection-mesh.hosts': 'erp-a erp-b erp-c',
      'resource.erpdata.options.quorum': 'majority',
      'version.userland': '9.22.0',
    });
  });
});
