import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { mountsCollector, parseFstab, parseMountinfo, unescapeOctal } from '../../src/collectors/mounts.js';
import { isParserCrash } from '../../src/collectors/util.js';
import { mountsDivergences } from '../../src/core/engine/runtime.js';
import { compileRules } from '../../src/core/engine/rules/compile.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { check, withEvidence } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, fixtureOutputs, ok } from './fixture-outputs.js';

const IDS = ['mounts-fstab', 'mounts-mountinfo'];
const SHIPPED = compileRules(loadRulePacks([], { includeShipped: true }).packs);
const parse = (dir: string) => mountsCollector.parse(fixtureOutputs(dir, IDS), DEFAULT_COLLECTOR_CONTEXT);

describe('mounts: a real fstab and /proc/self/mountinfo (staged in a private mount namespace)', () => {
  const mounted = parse('debian12-mounts');

  it('fstab entries are compared; the UUID of a system disk and what is mounted are node-specific', () => {
    expect(mounted.status).toBe('ok');
    expect(mounted.items['fstab./']).toEqual({ value: 'ext4 errors=remount-ro 0 1', source: '/etc/fstab:4' });
    expect(mounted.items['fstab./.source']?.nodeSpecific).toBeDefined();
    expect(mounted.items['fstab.swap#1']?.value).toBe('swap sw 0 0');
    expect(mounted.items['fstab.swap#1.source']?.nodeSpecific).toBeDefined();
    expect(mounted.items['fstab./srv/shared']?.value).toBe('ext4 noauto,nofail 0 0');
    expect(mounted.items['fstab./srv/shared.source']).toEqual({ value: '/dev/drbd0' });
    expect(mounted.items['mounted./srv/data']?.value).toBe('tmpfs tmpfs');
    expect(mounted.items['mounted./srv/data']?.nodeSpecific).toBeDefined();
    // Only fstab's mount points are kept from mountinfo (not /proc, cgroups, ...).
    expect(Object.keys(mounted.items).filter((k) => k.startsWith('mounted.'))).toEqual([
      'mounted./',
      'mounted./srv/data',
      'mounted./srv/backup',
    ]);
  });

  it('every fstab entry mounted (the noauto one left alone): no runtime divergence', () => {
    expect(mountsDivergences('a', mounted)).toEqual([]);
  });

  it('an fstab entry not mounted is a runtime divergence naming the fstab line', () => {
    const unmounted = parse('debian12-mounts-unmounted');
    expect(mountsDivergences('b', unmounted)).toEqual([
      expect.objectContaining({
        facet: 'mounts',
        key: '/srv/backup',
        node: 'b',
        severity: 'warning',
        detail: { running: null, configured: 'tmpfs tmpfs', source: '/etc/fstab:7' },
      }),
    ]);
  });

  it('as a check: a runtime warning on that node only, while peers that agree on fstab show no drift', () => {
    const report = check(
      [snap('a', { mounts: mounted }), snap('b', { mounts: parse('debian12-mounts-unmounted') }), snap('c', { mounts: mounted })],
      { rules: SHIPPED },
    );
    const all = withEvidence(report);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: 'runtime', facet: 'mounts', key: 'runtime:/srv/backup', outliers: ['b'], severity: 'warning' });
    expect(all[0]?.message).toContain('b has it not mounted, /etc/fstab:7 sets tmpfs tmpfs');
  });

  it('an fstab entry that differs between peers is drift; a different root UUID is not', () => {
    const other = { ...mounted, items: { ...mounted.items } };
    other.items['fstab./srv/data'] = { value: 'tmpfs size=32m,mode=0755 0 0', source: '/etc/fstab:6' };
    other.items['fstab./.source'] = { value: 'UUID=00000000-1111-2222-3333-444444444444', nodeSpecific: 'x' };
    const report = check([snap('a', { mounts: mounted }), snap('b', { mounts: other }), snap('c', { mounts: mounted })], {
      rules: SHIPPED,
    });
    expect(report.findings.map((f) => [f.key, f.outliers])).toEqual([['fstab./srv/data', ['b']]]);
  });

  it('the host itself (an unconfigured fstab): ok, no items, nothing to judge', () => {
    const host = parse('debian12-facets');
    expect(host.status).toBe('ok');
    expect(host.items).toEqual({});
  });

  it('no /etc/fstab: unsupported with the reason; no mountinfo: the fstab is still compared, no runtime check', () => {
    const none = mountsCollector.parse(
      { 'mounts-fstab': failed(1, '/bin/cat: /etc/fstab: No such file or directory') },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(none.status).toBe('unsupported');
    expect(none.error).toContain('/etc/fstab');
    const noInfo = mountsCollector.parse({ 'mounts-fstab': ok('/dev/sdb1 /data xfs defaults 0 2\n') }, DEFAULT_COLLECTOR_CONTEXT);
    expect(noInfo.status).toBe('ok');
    expect(noInfo.meta?.mounted).toMatch(/^unavailable/);
    expect(mountsDivergences('a', noInfo)).toEqual([]);
  });
});

describe('mounts: the lines', () => {
  it('octal escapes in fstab and mountinfo; a trailing slash; a mount point listed twice', () => {
    expect(unescapeOctal('/mnt/my\\040disk')).toBe('/mnt/my disk');
    const { entries } = parseFstab(['/dev/sdb1 /mnt/my\\040disk ext4 defaults', 'LABEL=x /data/ xfs rw 0 2', 'a /data nfs ro 0 0']);
    expect(entries.map((e) => e.file)).toEqual(['/mnt/my disk', '/data/', '/data']);
    const facet = mountsCollector.parse(
      {
        'mounts-fstab': ok('LABEL=x /data/ xfs rw 0 2\nsrv:/e /data nfs ro 0 0\n'),
        'mounts-mountinfo': ok('30 1 0:50 / /data rw - xfs /dev/sdb1 rw\n31 1 0:51 / /mnt/my\\040disk rw - ext4 /dev/sdc1 rw\n'),
      },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(facet.items['fstab./data']?.value).toBe('xfs rw 0 2');
    expect(facet.items['fstab./data#2']?.value).toBe('nfs ro 0 0');
    expect(facet.items['mounted./data']?.value).toBe('/dev/sdb1 xfs');
    expect(parseMountinfo(['31 1 0:51 / /mnt/my\\040disk rw shared:1 - ext4 /dev/sdc1 rw']).get('/mnt/my disk')).toBe('/dev/sdc1 ext4');
  });

  it('never throws on arbitrary fstab and mountinfo text', () => {
    const text = fc
      .array(fc.oneof(fc.constantFrom(' ', '\t', '\n', '/', '#', '\\040', ' - ', 'noauto', 'swap', 'UUID='), fc.string()), {
        maxLength: 40,
      })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(text, text, fc.boolean(), (fstab, info, cut) => {
        const facet = mountsCollector.parse(
          { 'mounts-fstab': { ...ok(fstab), truncated: cut }, 'mounts-mountinfo': ok(info) },
          DEFAULT_COLLECTOR_CONTEXT,
        );
        expect(isParserCrash(facet)).toBe(false);
        expect(() => mountsDivergences('a', facet)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
