/**
 * multipath facet: the real capture of the development VM (fixtures/debian12, multipath-*:
 * drbd-utils' /etc/multipath/conf.d/drbd.conf, and `multipath -ll` failing without
 * device-mapper), `multipath -t` (multipath-tools 0.9.4 printing its whole effective
 * configuration, a real text in multipath.conf syntax), and hand-made configuration and
 * topology (fixtures/handmade: no device-mapper here, so no map could be shown).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import {
  llReason,
  mapItems,
  MULTIPATH_COMMAND_IDS,
  multipathCollector,
  multipathConfItems,
  parseMultipathLl,
} from '../../src/collectors/multipath.js';
import { canonicalConfig, configKindOf } from '../../src/core/engine/config-text.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const parse = (outputs: Parameters<typeof multipathCollector.parse>[0]) => multipathCollector.parse(outputs, DEFAULT_COLLECTOR_CONTEXT);
const read = (dir: string, name: string) => readFileSync(join(FIXTURES, dir, name), 'utf8');

describe('multipath on the real Debian 12 capture', () => {
  it('reads the conf.d file; multipath -ll failing without device-mapper is said in meta, not a failure', () => {
    const facet = parse(fixtureOutputs('debian12', MULTIPATH_COMMAND_IDS));
    expect(facet.status).toBe('ok');
    expect(facet.items).toEqual({ 'conf.blacklist.devnode': { value: '^drbd[0-9]+', source: '/etc/multipath/conf.d/drbd.conf:2' } });
    expect(facet.meta?.runtime).toBe('unavailable: multipath-ll: Failure to communicate with kernel device-mapper driver.');
  });

  it('multipath -t (the effective configuration multipath-tools prints) parses into its sections', () => {
    const items = multipathConfItems([{ path: 'multipath -t', text: read('debian12', 'multipath-t.reference') }]);
    expect(items['conf.defaults.path_checker']?.value).toBe('tur');
    expect(items['conf.defaults.user_friendly_names']?.value).toBe('no');
    const devices = Object.keys(items).filter((k) => k.startsWith('conf.devices.device[') && k.endsWith('.vendor'));
    expect(devices.length).toBeGreaterThan(100);
    expect(items['conf.devices.device[NETAPP/LUN]']).toBeUndefined();
  });

  it('without multipath-tools: unsupported', () => {
    const facet = parse({
      'multipath-conf': failed(127, 'multipath: command not found (multipath-tools not installed)'),
      'multipath-ll': failed(127, 'sh: 1: /sbin/multipath: not found'),
    });
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('multipath-tools not installed');
  });
});

describe('multipath.conf: settings, not how they are written', () => {
  const conf = read('handmade', 'handmade-multipath.conf');
  const cosmetic = read('handmade', 'handmade-multipath-cosmetic.conf');

  it('flattens sections, names devices by vendor/product and multipaths by wwid, lists repeated keywords', () => {
    const items = multipathConfItems([{ path: '/etc/multipath.conf', text: conf }]);
    expect(items['conf.defaults.user_friendly_names']?.value).toBe('yes');
    expect(items['conf.defaults.find_multipaths']?.value).toBe('yes');
    expect(items['conf.blacklist.devnode']?.value).toBe('^(ram|raw|loop|fd|md|dm-|sr|scd|st)[0-9]* | ^drbd[0-9]+');
    expect(items['conf.devices.device[NETAPP/LUN.*].no_path_retry']?.value).toBe('queue');
    expect(items['conf.multipaths.multipath[3600a098038314d4a6f5d4f4c4d6b4a31].alias']?.value).toBe('erpdata');
  });

  it('a cosmetic rewrite (comments, quotes, indentation, order, a brace on its own line) gives the same items and canonical form', () => {
    const values = (text: string) =>
      Object.fromEntries(Object.entries(multipathConfItems([{ path: 'f', text }])).map(([k, v]) => [k, v.value]));
    expect(values(cosmetic)).toEqual(values(conf));
    expect(configKindOf('/etc/multipath.conf')).toBe('multipath');
    expect(configKindOf('/etc/multipath/conf.d/site.conf')).toBe('multipath');
    expect(canonicalConfig('multipath', cosmetic)).toBe(canonicalConfig('multipath', conf));
    expect(canonicalConfig('multipath', conf.replace('polling_interval 10', 'polling_interval 5'))).not.toBe(
      canonicalConfig('multipath', conf),
    );
  });

  it('a conf.d file overrides a setting and adds to a blacklist', () => {
    const items = multipathConfItems([
      { path: '/etc/multipath.conf', text: conf },
      { path: '/etc/multipath/conf.d/x.conf', text: 'defaults {\n polling_interval 5\n}\nblacklist {\n devnode "^nbd[0-9]+"\n}\n' },
    ]);
    expect(items['conf.defaults.polling_interval']).toEqual({ value: '5', source: '/etc/multipath/conf.d/x.conf:2' });
    expect(items['conf.blacklist.devnode']?.value.split(' | ')).toHaveLength(3);
  });
});

describe('multipath -ll (hand-made topology)', () => {
  const maps = parseMultipathLl(read('handmade', 'handmade-multipath-ll.txt').split('\n'));

  it('keys maps by WWID, with alias, size, features, groups and usable paths', () => {
    expect(mapItems(maps)).toEqual({
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.alias': { value: 'mpatha' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.vendor': { value: 'NETAPP,LUN C-Mode' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.size': { value: '100G' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.features': { value: '3 queue_if_no_path pg_init_retries 50' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.hwhandler': { value: '1 alua' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.wp': { value: 'rw' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.groups': { value: '2' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.policy': { value: 'service-time 0' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.paths': { value: '4' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a31.paths.usable': { value: '3' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.alias': { value: '3600a098038314d4a6f5d4f4c4d6b4a32' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.vendor': { value: 'NETAPP,LUN C-Mode' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.size': { value: '20G' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.features': { value: '3 queue_if_no_path pg_init_retries 50' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.hwhandler': { value: '1 alua' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.wp': { value: 'rw' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.groups': { value: '1' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.policy': { value: 'service-time 0' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.paths': { value: '2' },
      'map.3600a098038314d4a6f5d4f4c4d6b4a32.paths.usable': { value: '2' },
    });
  });

  it('the timestamps of multipath stderr do not reach the facet (it would change every run)', () => {
    expect(llReason('12.5 | cannot get kernel dm version\n')).toBe('multipath-ll: cannot get kernel dm version');
    const facet = parse({
      'multipath-conf': ok(''),
      'multipath-ll': failed(1, '99.1 | /dev/mapper/control: open failed: Permission denied\n'),
    });
    expect(facet.meta?.runtime).toBe('unavailable: multipath-ll: /dev/mapper/control: open failed: Permission denied');
  });
});

describe('multipath parsers never throw (fast-check)', () => {
  const text = fc
    .array(
      fc.oneof(
        fc.string(),
        fc.constantFrom(
          '{',
          '}',
          '"',
          '#',
          '!',
          '\n',
          'device',
          'vendor',
          'defaults {',
          '|-+- policy=',
          "size=1G features='0'",
          ' dm-0 ',
          '`- 1:0:0:1 sda 8:0 active ready running',
        ),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));
  it('on any text', () => {
    fc.assert(
      fc.property(text, (t) => {
        multipathConfItems([{ path: 'f', text: t }]);
        canonicalConfig('multipath', t);
        mapItems(parseMultipathLl(t.split('\n')));
        llReason(t);
      }),
      { numRuns: 300 },
    );
  });
});
