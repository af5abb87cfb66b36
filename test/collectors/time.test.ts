import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { chronySourcesSummary, parseTimeConfig, timeCollector } from '../../src/collectors/time.js';
import { isParserCrash } from '../../src/collectors/util.js';
import { compileRules } from '../../src/core/engine/rules/compile.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { check } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const IDS = ['time-timedatectl', 'time-chrony-tracking', 'time-chrony-sources', 'time-ntpq', 'time-config'];
const SHIPPED = compileRules(loadRulePacks([], { includeShipped: true }).packs);
const parse = (dir: string, extra = {}) => timeCollector.parse({ ...fixtureOutputs(dir, IDS), ...extra }, DEFAULT_COLLECTOR_CONTEXT);
const handmade = (name: string) => ok(readFileSync(join(FIXTURES, 'handmade-facets', `${name}.txt`), 'utf8'));
const NOT_FOUND = (tool: string) => failed(127, `sh: 2: exec: ${tool}: not found\n`);

describe('time: real chronyd (synchronised, and without a reachable source)', () => {
  it('a synchronised chronyd: daemon, yes, the configured servers and the zone', () => {
    const facet = parse('debian12-chrony');
    expect(facet.status).toBe('ok');
    expect(facet.items.daemon?.value).toBe('chrony');
    expect(facet.items.synchronised?.value).toBe('yes');
    expect(facet.items.synchronised?.nodeSpecific).toBeDefined();
    expect(facet.items['config.chrony']?.value).toBe('pool 2.debian.pool.ntp.org iburst');
    expect(facet.items.timezone?.value).toBe('Etc/UTC');
  });

  it('chronyd with no reachable source: not synchronised, with the sources seen', () => {
    const facet = parse('debian12-chrony-unsynchronised');
    expect(facet.items.synchronised?.value).toBe('no: chronyd is not synchronised (no usable source) (1 source, 0 reached lately)');
  });

  it('chrony installed but chronyd not running (this host): no daemon, not synchronised, saying why', () => {
    const facet = parse('debian12-facets');
    expect(facet.status).toBe('ok');
    expect(facet.items.daemon?.value).toBe('none');
    expect(facet.items.synchronised?.value).toBe('no: no time daemon runs (time-chrony-tracking: exit 1: 506 Cannot talk to daemon)');
    expect(facet.meta?.timedatectl).toContain('System has not been booted with systemd');
  });

  it('as a check: the unsynchronised node is the one finding (the time-synchronised rule), synchronised peers none', () => {
    const good = parse('debian12-chrony');
    const report = check(
      [snap('a', { time: good }), snap('b', { time: parse('debian12-chrony-unsynchronised') }), snap('c', { time: good })],
      {
        rules: SHIPPED,
      },
    );
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      kind: 'expectation',
      facet: 'time',
      key: 'synchronised',
      outliers: ['b'],
      severity: 'warning',
    });
    const clean = check([snap('a', { time: good }), snap('b', { time: good })], { rules: SHIPPED });
    expect(clean.findings).toEqual([]);
  });
});

describe('time: systemd-timesyncd and ntpd (hand-made outputs in the tools formats)', () => {
  const noChrony = {
    'time-chrony-tracking': NOT_FOUND('chronyc'),
    'time-chrony-sources': NOT_FOUND('chronyc'),
    'time-ntpq': NOT_FOUND('ntpq'),
  };

  it('timedatectl show: timesyncd, synchronised or not by the kernel flag, its zone', () => {
    const synced = timeCollector.parse(
      { ...noChrony, 'time-timedatectl': handmade('handmade-timedatectl-show-timesyncd-synchronised'), 'time-config': ok('') },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(synced.items.daemon?.value).toBe('systemd-timesyncd');
    expect(synced.items.synchronised?.value).toBe('yes');
    expect(synced.items.timezone?.value).toBe('Europe/Berlin');
    const unsynced = timeCollector.parse(
      { ...noChrony, 'time-timedatectl': handmade('handmade-timedatectl-show-timesyncd-unsynchronised') },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(unsynced.items.synchronised?.value).toMatch(/^no: /);
  });

  it('ntpq -pn: synchronised when a peer is the system peer', () => {
    const base = { ...noChrony, 'time-timedatectl': failed(127, 'sh: 2: exec: timedatectl: not found') };
    const synced = timeCollector.parse({ ...base, 'time-ntpq': handmade('handmade-ntpq-pn-synchronised') }, DEFAULT_COLLECTOR_CONTEXT);
    expect(synced.items.daemon?.value).toBe('ntpd');
    expect(synced.items.synchronised?.value).toBe('yes');
    const unsynced = timeCollector.parse({ ...base, 'time-ntpq': handmade('handmade-ntpq-pn-unsynchronised') }, DEFAULT_COLLECTOR_CONTEXT);
    expect(unsynced.items.synchronised?.value).toBe('no: ntpd has no system peer');
  });

  it('no timedatectl, chronyc or ntpq at all: unsupported with each reason', () => {
    const facet = timeCollector.parse({ ...noChrony, 'time-timedatectl': NOT_FOUND('timedatectl') }, DEFAULT_COLLECTOR_CONTEXT);
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('chronyc');
    expect(facet.error).toContain('timedatectl');
  });

  it('config lines by daemon, sorted; the zone from the /etc/localtime link', () => {
    const parsed = parseTimeConfig([
      '/etc/chrony/sources.d/site.sources: server 10.0.0.251   iburst',
      '/etc/chrony/chrony.conf: pool 2.debian.pool.ntp.org iburst',
      '/etc/systemd/timesyncd.conf: NTP=10.0.0.250',
      'localtime: ../usr/share/zoneinfo/Europe/Berlin',
    ]);
    expect([...(parsed.config.get('chrony') ?? [])]).toEqual(['server 10.0.0.251 iburst', 'pool 2.debian.pool.ntp.org iburst']);
    expect([...(parsed.config.get('timesyncd') ?? [])]).toEqual(['NTP=10.0.0.250']);
    expect(parsed.localtime).toBe('Europe/Berlin');
    expect(chronySourcesSummary('^* 127.0.0.1  8 0 377 1 +0ns[ +0ns] +/- 0ns\n^? 10.0.0.9 0 2 0 - +0ns[ +0ns] +/- 0ns\n')).toBe(
      '2 sources, 1 reached lately',
    );
  });

  it('never throws on arbitrary tool output', () => {
    const text = fc
      .array(
        fc.oneof(fc.constantFrom('Leap status', ' : ', 'Not synchronised', '=', 'NTP', '\n', '^*', '*', ': ', 'localtime'), fc.string()),
        {
          maxLength: 30,
        },
      )
      .map((p) => p.join(''));
    const out = fc.record({ exitCode: fc.constantFrom(0, 1, 127, null), stdout: text, stderr: text, truncated: fc.boolean() });
    fc.assert(
      fc.property(fc.array(out, { minLength: IDS.length, maxLength: IDS.length }), (outs) => {
        const facet = timeCollector.parse(Object.fromEntries(IDS.map((id, i) => [id, outs[i]!])), DEFAULT_COLLECTOR_CONTEXT);
        expect(isParserCrash(facet)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
