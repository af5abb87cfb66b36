import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../../src/collectors/collector.js';
import { corosyncCollector } from '../../../src/collectors/corosync.js';
import { pacemakerCollector } from '../../../src/collectors/pacemaker.js';
import { durationSeconds, nodelistVotes, pacemakerTrue, PRACTICE_CHECKS } from '../../../src/core/engine/practice.js';
import type { FacetSnapshot } from '../../../src/core/snapshot.js';
import { FIXTURES, ok } from '../../collectors/fixture-outputs.js';
import { check, only, rules } from './check.js';
import { facet, snap } from './handmade-cluster.js';

const judge = (name: string, f: FacetSnapshot): string | undefined => {
  const c = PRACTICE_CHECKS.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}`);
  return c.judge(f);
};
const corosyncFile = (name: string) =>
  corosyncCollector.parse(
    { 'corosync-conf': ok(readFileSync(join(FIXTURES, 'cluster/corosync', name), 'utf8')) },
    DEFAULT_COLLECTOR_CONTEXT,
  );
const cibFile = (path: string, sbd?: string) =>
  pacemakerCollector.parse(
    {
      'pacemaker-cib': ok(readFileSync(join(FIXTURES, path), 'utf8')),
      ...(sbd === undefined ? {} : { 'pacemaker-sbd': ok(readFileSync(join(FIXTURES, 'cluster/sbd', sbd), 'utf8')) }),
    },
    DEFAULT_COLLECTOR_CONTEXT,
  );

describe('corosync consensus against token', () => {
  it.each([
    [{ 'totem.token': '5000', 'totem.consensus': '6000' }, undefined],
    [{ 'totem.token': '5000', 'totem.consensus': '5999' }, 'token=5000 consensus=5999 (needs >= 6000)'],
    [{ 'totem.token': '10000', 'totem.consensus': '6000' }, 'token=10000 consensus=6000 (needs >= 12000)'],
    [{ 'totem.token': '5000' }, undefined], // unset consensus: corosync derives 1.2 x token
    [{ 'totem.consensus': '3000' }, 'token=3000 consensus=3000 (needs >= 3600)'], // corosync 3 default token 3000
  ])('%o -> %s', (items, expected) => {
    expect(judge('corosync-consensus-vs-token', facet(items))).toBe(expected);
  });
});

describe('two_node and expected_votes against the nodelist', () => {
  it('real files: Debian default (one node, no two_node) keeps both; crmsh 5-node udpu keeps both', () => {
    const debian = corosyncFile('debian12-corosync-3.1.7-default.conf');
    expect(nodelistVotes(debian).size).toBe(1);
    expect(judge('corosync-two-node', debian)).toBeUndefined();
    const five = corosyncFile('crmsh-unittests-corosync.conf.2');
    expect(nodelistVotes(five).size).toBe(5);
    expect(judge('corosync-two-node', five)).toBeUndefined();
  });

  it.each([
    [2, undefined, 'nodelist has 2 nodes, two_node=(unset)'],
    [2, '0', 'nodelist has 2 nodes, two_node=0'],
    [2, '1', undefined],
    [3, '1', 'nodelist has 3 nodes, two_node=1'],
    [3, undefined, undefined],
  ])('%i nodes, two_node=%s -> %s', (nodes, twoNode, expected) => {
    const items: Record<string, string> = {};
    for (let i = 1; i <= nodes; i++) items[`nodelist.node[name=n${i}].ring0_addr`] = `127.0.0.${i + 1}`;
    if (twoNode !== undefined) items['quorum.two_node'] = twoNode;
    expect(judge('corosync-two-node', facet(items))).toBe(expected);
  });

  it('expected_votes must equal the nodelist votes (quorum_votes counted)', () => {
    const nodes = {
      'nodelist.node[name=a].ring0_addr': 'x',
      'nodelist.node[name=b].ring0_addr': 'y',
      'nodelist.node[name=c].ring0_addr': 'z',
    };
    expect(judge('corosync-expected-votes', facet({ ...nodes, 'quorum.expected_votes': '3' }))).toBeUndefined();
    expect(judge('corosync-expected-votes', facet({ ...nodes, 'quorum.expected_votes': '2' }))).toBe(
      'expected_votes=2, nodelist votes=3 (3 nodes)',
    );
    expect(
      judge('corosync-expected-votes', facet({ ...nodes, 'nodelist.node[name=c].quorum_votes': '2', 'quorum.expected_votes': '4' })),
    ).toBeUndefined();
    expect(judge('corosync-expected-votes', facet(nodes))).toBeUndefined();
  });
});

describe('a fencing device for every node', () => {
  it('real CIB of xen-d: stonith enabled, external/libvirt with hostlist covering both nodes', () => {
    expect(judge('pacemaker-fencing-per-node', cibFile('cluster/pacemaker/cibadmin-2.1.5-query-xen-d.txt'))).toBeUndefined();
  });

  it('real demo CIB: no stonith device, but diskless SBD (stonith-watchdog-timeout) fences every node', () => {
    const demo = cibFile('demo/erp-a/pacemaker-cib.txt');
    // #23: the effective value is stored under the Pacemaker 3 name, its source naming the old one.
    expect(demo.items['property.fencing-watchdog-timeout']).toEqual({
      value: '10s',
      source: 'legacy name stonith-watchdog-timeout (read because fencing-watchdog-timeout is not set)',
    });
    expect(demo.items['property.stonith-watchdog-timeout']).toBeUndefined();
    expect(judge('pacemaker-fencing-per-node', demo)).toBeUndefined();
  });

  const nodes = { 'node.a': 'id=1', 'node.b': 'id=2', 'node.c': 'id=3' };
  it.each([
    [{}, 'no fencing (stonith) device configured, no watchdog fencing (fencing-watchdog-timeout / stonith-watchdog-timeout)'],
    [{ 'property.stonith-enabled': 'false' }, undefined], // reported by the stonith-enabled rule instead
    [{ 'property.fencing-enabled': 'false' }, undefined], // the Pacemaker 3 name alone
    [
      { 'property.fencing-enabled': 'true', 'property.stonith-enabled': 'false' },
      'no fencing (stonith) device configured, no watchdog fencing (fencing-watchdog-timeout / stonith-watchdog-timeout)',
    ],
    [{ 'property.fencing-watchdog-timeout': '10s' }, undefined], // diskless SBD under the Pacemaker 3 name
    [{ 'resource.f1': 'stonith:fence_ipmilan', 'resource.f1.param.pcmk_host_list': 'a b' }, 'no fencing device lists c (devices: f1)'],
    [{ 'resource.f1': 'stonith:fence_ipmilan', 'resource.f1.param.pcmk_host_map': 'a:1;b:2;c:3' }, undefined],
    [{ 'resource.f1': 'stonith:fence_sbd' }, undefined], // dynamic-list: the device is asked at fence time
    [
      {
        'resource.f1': 'stonith:fence_ipmilan',
        'resource.f1.param.pcmk_host_list': 'a',
        'resource.f2': 'stonith:fence_ipmilan',
        'resource.f2.param.pcmk_host_list': 'b,c',
      },
      undefined,
    ],
  ])('%o -> %s', (items, expected) => {
    expect(judge('pacemaker-fencing-per-node', facet({ ...nodes, ...items }))).toBe(expected);
  });
});

describe('SBD timeouts against stonith-timeout', () => {
  it('real disk SBD (msgwait 30) with the xen-d CIB (stonith-timeout unset, default 60 s): 60 >= 36, kept', () => {
    const f = cibFile('cluster/pacemaker/cibadmin-2.1.5-query-xen-d.txt', 'debian12-sbd-1.5.2-disk-loop-msgwait30.txt');
    expect(f.items['sbd.msgwait']?.value).toBe('30');
    expect(judge('sbd-stonith-timeout', f)).toBeUndefined();
  });

  it('disk SBD with msgwait 30 and stonith-timeout 30s breaks it', () => {
    const f = facet({ 'sbd.SBD_DEVICE': '/dev/loop0', 'sbd.msgwait': '30', 'property.stonith-timeout': '30s' });
    expect(judge('sbd-stonith-timeout', f)).toBe('stonith-timeout=30s, msgwait=30s (needs >= 36s)');
    expect(
      judge('sbd-stonith-timeout', facet({ 'sbd.SBD_DEVICE': '/dev/loop0', 'sbd.msgwait': '30', 'property.stonith-timeout': '1min' })),
    ).toBeUndefined();
  });

  it('real diskless SBD file (watchdog 5 s): stonith-watchdog-timeout must be 2 x 5 s and below stonith-timeout', () => {
    const withoutProperty = cibFile('cluster/pacemaker/cibadmin-2.1.5-query-xen-d.txt', 'debian12-sbd-1.5.2-default.txt');
    expect(judge('sbd-stonith-timeout', withoutProperty)).toBe(
      'diskless SBD, fencing-watchdog-timeout=(unset) (needs 10s, 2 x SBD_WATCHDOG_TIMEOUT=5)',
    );
    const good = { 'sbd.SBD_WATCHDOG_TIMEOUT': '5', 'property.stonith-watchdog-timeout': '10s', 'property.stonith-timeout': '20s' };
    expect(judge('sbd-stonith-timeout', facet(good))).toBeUndefined();
    expect(judge('sbd-stonith-timeout', facet({ ...good, 'property.stonith-watchdog-timeout': '8' }))).toBe(
      'stonith-watchdog-timeout=8, SBD_WATCHDOG_TIMEOUT=5 (needs >= 10s)',
    );
    expect(judge('sbd-stonith-timeout', facet({ ...good, 'property.stonith-timeout': '10s' }))).toBe(
      'stonith-timeout=10s not above stonith-watchdog-timeout=10s',
    );
  });

  it('reads the Pacemaker 3 names first: fencing-timeout=150 is used, not the 60 s default nor the old name', () => {
    const disk = { 'sbd.SBD_DEVICE': '/dev/loop0', 'sbd.msgwait': '120' };
    expect(judge('sbd-stonith-timeout', facet(disk))).toBe('fencing-timeout=60s (default), msgwait=120s (needs >= 144s)');
    expect(judge('sbd-stonith-timeout', facet({ ...disk, 'property.fencing-timeout': '150' }))).toBeUndefined();
    expect(
      judge('sbd-stonith-timeout', facet({ ...disk, 'property.fencing-timeout': '150', 'property.stonith-timeout': '30s' })),
    ).toBeUndefined();
    expect(judge('sbd-stonith-timeout', facet({ ...disk, 'property.fencing-timeout': '30s', 'property.stonith-timeout': '150' }))).toBe(
      'fencing-timeout=30s, msgwait=120s (needs >= 144s)',
    );
  });
});

describe('fencing options under both names', () => {
  it.each([
    [
      { 'property.fencing-enabled': 'true', 'property.stonith-enabled': 'false' },
      'fencing-enabled=true but stonith-enabled=false (Pacemaker 3 uses true)',
    ],
    [{ 'property.fencing-enabled': 'true', 'property.stonith-enabled': 'yes' }, undefined],
    [{ 'property.fencing-timeout': '2min', 'property.stonith-timeout': '120s' }, undefined],
    [
      { 'property.fencing-timeout': '150', 'property.stonith-timeout': '60s' },
      'fencing-timeout=150 but stonith-timeout=60s (Pacemaker 3 uses 150)',
    ],
    [{ 'property.fencing-enabled': 'false' }, undefined],
    [{ 'property.stonith-enabled': 'false' }, undefined],
  ])('%o -> %s', (items, expected) => {
    expect(judge('pacemaker-fencing-option-names', facet(items))).toBe(expected);
  });

  it('no SBD configured: nothing to judge', () => {
    expect(judge('sbd-stonith-timeout', cibFile('cluster/pacemaker/cibadmin-2.1.5-query-xen-d.txt'))).toBeUndefined();
  });
});

describe('practice findings in a check', () => {
  const enable = rules(
    '  - name: consensus',
    "    match: { facet: corosync, key: 'practice:corosync-consensus-vs-token' }",
    '    source: corosync.conf(5)',
  );
  const node = (n: string) => snap(n, { corosync: { 'totem.token': '10000', 'totem.consensus': '6000' } });

  it('a check runs only when a rule names it; a facet-wide rule does not turn it on', () => {
    expect(check([node('a')]).findings.filter((x) => x.kind === 'practice')).toEqual([]);
    const facetWide = rules('  - name: all', "    match: { facet: corosync, key: '*' }", '    severity: critical');
    expect(check([node('a')], { rules: facetWide }).findings.filter((x) => x.kind === 'practice')).toEqual([]);
    const byPattern = rules('  - name: all-practices', "    match: { facet: corosync, key: 'practice:*' }");
    expect(check([node('a')], { rules: byPattern }).findings.filter((x) => x.kind === 'practice')).toHaveLength(1);
  });

  it('every node wrong the same way: one finding naming all of them, with each node observed value', () => {
    const report = check([node('a'), node('b')], { rules: enable });
    const f = only(report.findings.filter((x) => x.kind === 'practice'));
    expect(f).toMatchObject({ facet: 'corosync', key: 'practice:corosync-consensus-vs-token', outliers: ['a', 'b'], severity: 'warning' });
    expect(f.values.a).toBe('token=10000 consensus=6000 (needs >= 12000)');
    expect(f.source).toBe('corosync.conf(5)');
  });
});

describe('helpers', () => {
  it.each([
    ['60', 60],
    ['60s', 60],
    ['2min', 120],
    ['1m', 60],
    ['1500ms', 1.5],
    ['1h', 3600],
    ['soon', undefined],
    ['', undefined],
  ])('durationSeconds(%s) = %s', (raw, expected) => {
    expect(durationSeconds(raw)).toBe(expected);
  });

  it('pacemaker booleans', () => {
    expect(['true', 'TRUE', 'yes', 'on', 'y', '1'].every(pacemakerTrue)).toBe(true);
    expect(['false', 'no', 'off', '0', ''].some(pacemakerTrue)).toBe(false);
  });

  it('no practice check throws on arbitrary items', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'totem.token',
              'totem.consensus',
              'quorum.two_node',
              'quorum.expected_votes',
              'property.stonith-enabled',
              'property.stonith-timeout',
              'property.stonith-watchdog-timeout',
              'sbd.SBD_DEVICE',
              'sbd.SBD_WATCHDOG_TIMEOUT',
              'sbd.msgwait',
              'resource.f',
              'resource.f.param.pcmk_host_list',
              'node.a',
              'nodelist.node[name=a].quorum_votes',
            ),
            fc.string(),
          ),
          fc.string(),
        ),
        (items) => {
          for (const c of PRACTICE_CHECKS) {
            const r = c.judge(facet(items));
            expect(r === undefined || typeof r === 'string').toBe(true);
          }
        },
      ),
    );
  });
});
