import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { COROSYNC_CMAP_COMMAND, COROSYNC_CONF_COMMAND, COROSYNC_FILE_ITEM, corosyncCollector } from '../../src/collectors/corosync.js';
import { parseCmapctl, parseCorosyncConf } from '../../src/collectors/corosync-conf.js';
import { sha256Hex, type FacetSnapshot } from '../../src/core/snapshot.js';
import { FIXTURES, failed, fixtureOutputs, ok } from './fixture-outputs.js';

const DIR = join(FIXTURES, 'cluster', 'corosync');
const CTX = DEFAULT_COLLECTOR_CONTEXT;
const CMAP_DOWN = failed(1, 'Failed to initialize the cmap API. Error CS_ERR_LIBRARY\n');

function fixture(file: string): string {
  return readFileSync(join(DIR, file), 'utf8');
}

function parseConf(text: string, cmap: CommandOutput = CMAP_DOWN): FacetSnapshot {
  return corosyncCollector.parse({ [COROSYNC_CONF_COMMAND]: ok(text), [COROSYNC_CMAP_COMMAND]: cmap }, CTX);
}

function values(facet: FacetSnapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(facet.items).map(([k, v]) => [k, v.value]));
}

describe('corosync collector: commands', () => {
  it('reads the file and asks cmap, with absolute paths', () => {
    expect(corosyncCollector.commands(CTX)).toEqual([
      { id: 'corosync-conf', argv: ['/bin/cat', '/etc/corosync/corosync.conf'] },
      { id: 'corosync-cmapctl', argv: ['/usr/sbin/corosync-cmapctl'], sudo: true },
    ]);
  });
});

describe('corosync collector: every corosync.conf fixture', () => {
  it.each([
    [
      'debian12-corosync-3.1.7-default.conf',
      17,
      {
        'totem.cluster_name': 'debian',
        'quorum.provider': 'corosync_votequorum',
        'nodelist.node[name=node1].ring0_addr': '127.0.0.1',
        'nodelist.node[name=node1].nodeid': '1',
        'logging.logger_subsys[subsys=QUORUM].debug': 'off',
      },
    ],
    [
      'crmsh-unittests-corosync.conf.2',
      25,
      {
        'totem.transport': 'udpu',
        'totem.interface[ringnumber=0].bindnetaddr': '10.16.35.0',
        'nodelist.node[nodeid=2].ring0_addr': '10.16.35.102',
        // No name and no nodeid: the address is what is left to tell the node apart.
        'nodelist.node[ring0_addr=10.16.35.105].ring0_addr': '10.16.35.105',
      },
    ],
    [
      'crmsh-unittests-corosync.conf.3',
      38,
      {
        'totem.token': '5000',
        'quorum.device.net.host': '10.10.10.3',
        'quorum.device.net.algorithm': 'ffsplit',
        'nodelist.node[nodeid=172167901].ring0_addr': '10.67.18.221',
      },
    ],
    ['handmade-corosync.conf.3-token-changed.conf', 38, { 'totem.token': '10000' }],
    [
      'crmsh-unittests-bug-862577_corosync.conf',
      25,
      { 'service.name': 'pacemaker', 'totem.interface[ringnumber=0].mcastaddr': '239.91.185.71', 'quorum.expected_votes': '2' },
    ],
    [
      'crmsh-history-test-corosync.conf',
      28,
      { 'aisexec.user': 'root', 'totem.token': '5000', 'totem.interface[ringnumber=0].mcastport': '5405', 'amf.mode': 'disabled' },
    ],
    ['handmade-single-node-erp-a.conf', 14, { 'totem.token': '3000', 'nodelist.node[name=erp-a].ring0_addr': '127.0.0.1' }],
  ] as const)('%s: %i items', (file, count, expected) => {
    const text = fixture(file);
    const facet = parseConf(text);
    expect(facet.error).toBeUndefined();
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toHaveLength(count);
    expect(values(facet)).toMatchObject(expected);
    expect(facet.items[COROSYNC_FILE_ITEM]).toEqual({ value: `sha256:${sha256Hex(text)}`, content: text });
    expect(facet.meta).toEqual({
      runtime: 'unavailable: corosync-cmapctl: exit 1: Failed to initialize the cmap API. Error CS_ERR_LIBRARY',
    });
  });

  it('a changed token changes exactly that item (and the file digest)', () => {
    const base = values(parseConf(fixture('crmsh-unittests-corosync.conf.3')));
    const changed = values(parseConf(fixture('handmade-corosync.conf.3-token-changed.conf')));
    expect(Object.keys({ ...base, ...changed }).filter((k) => base[k] !== changed[k])).toEqual(['totem.token', COROSYNC_FILE_ITEM]);
  });

  it('section order does not change the keys; comments and indentation do not change the items', () => {
    const a = 'nodelist {\n node {\n  name: b\n  nodeid: 2\n }\n node {\n  name: a\n  nodeid: 1\n }\n}\ntotem {\n version: 2\n}\n';
    const b =
      '# reordered\ntotem {\n\tversion:2\n}\nnodelist {\n\tnode {\n\t\tnodeid: 1\n\t\tname: a\n\t}\n\tnode {\n\t\tname: b\n\t\tnodeid: 2\n\t}\n}\n';
    const strip = (f: FacetSnapshot): Record<string, string> => {
      const v = values(f);
      delete v[COROSYNC_FILE_ITEM];
      return v;
    };
    expect(strip(parseConf(b))).toEqual(strip(parseConf(a)));
  });

  it('marks totem.nodeid as node-specific, with the reason', () => {
    const facet = parseConf('totem {\n nodeid: 7\n token: 3000\n}\n');
    expect(facet.items['totem.nodeid']?.nodeSpecific).toMatch(/per-node by design/);
    expect(facet.items['totem.token']?.nodeSpecific).toBeUndefined();
  });

  it('keeps IPv6 addresses whole (split at the first colon only)', () => {
    expect(values(parseConf('totem {\n interface {\n  linknumber: 0\n  mcastaddr: ff15::1\n }\n}\n'))).toMatchObject({
      'totem.interface[linknumber=0].mcastaddr': 'ff15::1',
    });
  });

  it('caps the kept content at fileContentMaxBytes; the digest still covers the whole file', () => {
    const text = fixture('debian12-corosync-3.1.7-default.conf');
    const facet = corosyncCollector.parse(
      { [COROSYNC_CONF_COMMAND]: ok(text), [COROSYNC_CMAP_COMMAND]: CMAP_DOWN },
      { ...CTX, fileContentMaxBytes: 100 },
    );
    expect(facet.items[COROSYNC_FILE_ITEM]?.content).toBe(text.slice(0, 100));
    expect(facet.items[COROSYNC_FILE_ITEM]?.value).toBe(`sha256:${sha256Hex(text)}`);
  });
});

describe('corosync collector: runtime view from corosync-cmapctl (real corosync 3.1.7 output)', () => {
  const conf = fixture('handmade-single-node-erp-a.conf');
  const cmap = fixture('cmapctl-3.1.7-single-node-erp-a.txt');
  const facet = parseConf(conf, ok(cmap));

  it('adds runtime.<cmap key> items, volatile keys dropped', () => {
    expect(facet.status).toBe('ok');
    expect(facet.meta).toEqual({ runtime: 'cmap' });
    const runtime = Object.keys(facet.items).filter((k) => k.startsWith('runtime.'));
    expect(runtime).toHaveLength(68);
    expect(Object.keys(facet.items)).toHaveLength(14 + 68);
    expect(values(facet)).toMatchObject({
      'runtime.totem.token': '3000',
      'runtime.runtime.config.totem.token': '3000',
      'runtime.runtime.config.totem.consensus': '3600',
      'runtime.nodelist.node.0.name': 'erp-a',
      'runtime.runtime.members.1.ip': 'r(0) ip(127.0.0.1)',
      'runtime.quorum.provider': 'corosync_votequorum',
    });
    for (const dropped of [
      'runtime.runtime.services.cmap.0.rx',
      'runtime.runtime.members.1.join_count',
      'runtime.runtime.blackbox.dump_state',
      'runtime.runtime.force_gather',
      'runtime.resources.system.load_15min.current',
      'runtime.resources.system.memory_used.last_updated',
    ]) {
      expect(facet.items[dropped], dropped).toBeUndefined();
    }
  });

  it.each([
    ['runtime.nodelist.local_node_pos', /position of this node/],
    ['runtime.runtime.votequorum.this_node_id', /own node id/],
    ['runtime.totem.interface.0.bindnetaddr', /own link address/],
    ['runtime.runtime.members.1.status', /membership state/],
  ])('%s is node-specific', (key, reason) => {
    expect(facet.items[key]?.nodeSpecific).toMatch(reason);
  });

  it('a malformed cmap line is an error naming the line, keeping the file items', () => {
    const broken = `${cmap.split('\n').slice(0, 3).join('\n')}\nthis is not cmap\n`;
    const f = parseConf(conf, ok(broken));
    expect(f.status).toBe('error');
    expect(f.error).toBe('corosync-cmapctl: line 4: expected "key (type) = value", got "this is not cmap"');
    expect(f.items['totem.token']?.value).toBe('3000');
  });
});

describe('corosync collector: unsupported and errors', () => {
  it('a node without corosync.conf is unsupported, with the reason', () => {
    const facet = corosyncCollector.parse(
      {
        [COROSYNC_CONF_COMMAND]: failed(1, '/bin/cat: /etc/corosync/corosync.conf: No such file or directory\n'),
        [COROSYNC_CMAP_COMMAND]: failed(127, 'sh: 1: /usr/sbin/corosync-cmapctl: not found\n'),
      },
      CTX,
    );
    expect(facet).toEqual({
      status: 'unsupported',
      items: {},
      error: 'corosync-conf: /bin/cat: /etc/corosync/corosync.conf: No such file or directory',
    });
  });

  it('an unreadable corosync.conf is an error', () => {
    const facet = corosyncCollector.parse(
      { [COROSYNC_CONF_COMMAND]: failed(1, '/bin/cat: /etc/corosync/corosync.conf: Permission denied\n') },
      CTX,
    );
    expect(facet).toEqual({
      status: 'error',
      items: {},
      error: 'corosync-conf: exit 1: /bin/cat: /etc/corosync/corosync.conf: Permission denied',
    });
  });

  it.each([
    ['totem {\n  token: 3000\n', '/etc/corosync/corosync.conf: line 1: section "totem" is never closed'],
    ['totem {\n}\n}\n', '/etc/corosync/corosync.conf: line 3: "}" without an open section'],
    ['totem {\n  token 3000\n}\n', '/etc/corosync/corosync.conf: line 2: expected "key: value", "name {" or "}", got "token 3000"'],
    ['token: 3000\n', '/etc/corosync/corosync.conf: line 1: "token" outside any section'],
    ['to tem {\n}\n', '/etc/corosync/corosync.conf: line 1: bad section name in "to tem {"'],
  ])('a parse failure names the line: %j', (text, error) => {
    expect(parseConf(text)).toEqual({ status: 'error', items: {}, error });
  });

  it('a truncated file keeps what it read but says so', () => {
    const facet = corosyncCollector.parse(
      { [COROSYNC_CONF_COMMAND]: { ...ok('totem {\n token: 1\n}\n'), truncated: true }, [COROSYNC_CMAP_COMMAND]: CMAP_DOWN },
      CTX,
    );
    expect(facet.status).toBe('truncated');
    expect(facet.error).toBe('corosync-conf: output truncated');
  });
});

describe('corosync parsers: direct', () => {
  it('parseCorosyncConf reports entries with their lines', () => {
    expect(parseCorosyncConf('totem {\n  token: 3000\n}\n')).toEqual({
      ok: true,
      entries: [{ key: 'totem.token', value: '3000', line: 2 }],
    });
  });

  it('parseCmapctl accepts empty values', () => {
    expect(parseCmapctl('a.b (str) = \n')).toEqual({ ok: true, entries: [{ key: 'a.b', type: 'str', value: '' }] });
  });
});

describe('corosync collector: the real commands on this host', () => {
  const haveConf = existsSync('/etc/corosync/corosync.conf');
  const haveCmapctl = existsSync('/usr/sbin/corosync-cmapctl');
  if (!haveConf || !haveCmapctl) console.warn('SKIP: corosync not installed here: apt-get install corosync');
  it.skipIf(!haveConf || !haveCmapctl)(
    'parses the installed corosync.conf; a stopped daemon leaves the runtime unavailable (needs Debian package corosync)',
    () => {
      const run = (argv: string[]): CommandOutput => {
        const result = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
        return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr, truncated: false };
      };
      const outputs = Object.fromEntries(corosyncCollector.commands(CTX).map((spec) => [spec.id, run(spec.argv)]));
      const facet = corosyncCollector.parse(outputs, CTX);
      expect(facet.status).toBe('ok');
      expect(facet.items['quorum.provider']?.value).toBe('corosync_votequorum');
      expect(facet.meta?.runtime === 'cmap' || facet.meta?.runtime?.startsWith('unavailable: corosync-cmapctl:')).toBe(true);
    },
  );
});

describe('corosync collector: never throws', () => {
  const confish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'totem {',
          '}',
          '{',
          ':',
          'token: 1',
          'node {',
          'name: a',
          '#',
          '\n',
          ' ',
          'nodelist {',
          'interface {',
          'linknumber: 0',
        ),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));
  const cmapish = fc
    .array(
      fc.oneof(
        fc.constantFrom('runtime.members.1.status (str) = joined', ' (u32) = ', '\n', 'totem.token', '=', '(', ')'),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));
  const output = (text: fc.Arbitrary<string>): fc.Arbitrary<CommandOutput> =>
    fc.record({
      exitCode: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
      stdout: fc.oneof(text, fc.string({ unit: 'binary' })),
      stderr: fc.string(),
      truncated: fc.boolean(),
    });

  it('on arbitrary outputs', () => {
    fc.assert(
      fc.property(output(confish), output(cmapish), fc.boolean(), (conf, cmap, dropCmap) => {
        const outputs: Record<string, CommandOutput> = { [COROSYNC_CONF_COMMAND]: conf };
        if (!dropCmap) outputs[COROSYNC_CMAP_COMMAND] = cmap;
        const facet = corosyncCollector.parse(outputs, CTX);
        expect(['ok', 'unsupported', 'error', 'truncated']).toContain(facet.status);
        if (facet.status !== 'ok') expect(facet.error).toBeTruthy();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('corosync collector: the demo cluster (real corosync 3.1.7, three members)', () => {
  const ids = [COROSYNC_CONF_COMMAND, COROSYNC_CMAP_COMMAND];
  const facets = Object.fromEntries(
    ['erp-a', 'erp-b', 'erp-c'].map((n) => [n, corosyncCollector.parse(fixtureOutputs(`demo/${n}`, ids), CTX)]),
  );
  const comparable = (f: FacetSnapshot | undefined): Record<string, string> =>
    Object.fromEntries(
      Object.entries(f?.items ?? {})
        .filter(([, v]) => !v.nodeSpecific)
        .map(([k, v]) => [k, v.value]),
    );

  it('every node parses, with its runtime view', () => {
    for (const facet of Object.values(facets)) {
      expect(facet.status).toBe('ok');
      expect(facet.meta).toEqual({ runtime: 'cmap' });
      expect(facet.items['runtime.runtime.members.3.ip']?.value).toBe('r(0) ip(10.0.0.13)');
    }
  });

  it('erp-a and erp-b differ only in node-specific items', () => {
    expect(comparable(facets['erp-b'])).toEqual(comparable(facets['erp-a']));
    expect(facets['erp-a']?.items['runtime.runtime.votequorum.this_node_id']).not.toEqual(
      facets['erp-b']?.items['runtime.runtime.votequorum.this_node_id'],
    );
  });

  it('erp-c drifts in totem.token and everything corosync derives from it, nothing else', () => {
    const a = comparable(facets['erp-a']);
    const c = comparable(facets['erp-c']);
    const differing = Object.keys({ ...a, ...c })
      .filter((k) => a[k] !== c[k])
      .sort();
    expect(differing).toEqual([
      COROSYNC_FILE_ITEM,
      'runtime.runtime.config.totem.consensus',
      'runtime.runtime.config.totem.hold',
      'runtime.runtime.config.totem.interface.0.knet_ping_interval',
      'runtime.runtime.config.totem.interface.0.knet_ping_timeout',
      'runtime.runtime.config.totem.token',
      'runtime.runtime.config.totem.token_retransmit',
      'runtime.totem.token',
      'totem.token',
    ]);
    expect([a['totem.token'], c['totem.token']]).toEqual(['3000', '5000']);
    // corosync adds token_coefficient (650 ms) per node beyond two.
    expect([a['runtime.runtime.config.totem.token'], c['runtime.runtime.config.totem.token']]).toEqual(['3650', '5650']);
  });
});
