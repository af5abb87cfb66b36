/**
 * network facet: the real capture of the development VM (fixtures/debian12, network-*),
 * hand-made bonds and VLANs (fixtures/handmade/handmade-network-*: this VM's kernel has no
 * bonding, dummy or vlan driver, so none could be created here), and the engine on them:
 * an MTU that differs between nodes is drift naming that node, addresses are not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import {
  addrItems,
  bondItems,
  linkItems,
  NETWORK_COMMAND_IDS,
  networkCollector,
  parseBonding,
  routeItems,
} from '../../src/collectors/network.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { check, only } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const parse = (outputs: Parameters<typeof networkCollector.parse>[0]) => networkCollector.parse(outputs, DEFAULT_COLLECTOR_CONTEXT);
const handmade = (name: string) => readFileSync(join(FIXTURES, 'handmade', name), 'utf8');

describe('network on the real Debian 12 capture', () => {
  const facet = parse(fixtureOutputs('debian12', NETWORK_COMMAND_IDS));

  it('reads MTU, state and kind per interface, address shapes, routes without the source address', () => {
    expect(facet.status).toBe('ok');
    expect(facet.items['link.eth0.mtu']?.value).toBe('1400');
    expect(facet.items['link.eth0.state']?.value).toBe('UP');
    expect(facet.items['link.eth0.kind']?.value).toBe('ether');
    expect(facet.items['link.ifb0.kind']?.value).toBe('ifb');
    expect(facet.items['addr.eth0']?.value).toBe('inet/24 inet6/64');
    expect(facet.items['addr.eth0.list']).toMatchObject({ value: '192.0.2.2/24 fd00::2/64' });
    expect(facet.items['addr.eth0.list']?.nodeSpecific).toBeTruthy();
    expect(facet.items['route.inet.default']?.value).toBe('via 192.0.2.1 dev eth0');
    expect(facet.items['route.inet.192.0.2.0/24']?.value).toBe('dev eth0');
    expect(facet.items['route.inet6.default']?.value).toBe('via fd00::1 dev eth0 metric 1024');
    expect(Object.keys(facet.items).some((k) => k.startsWith('link.lo.'))).toBe(false);
  });

  it('an MTU changed on one node of three is one finding naming that node (addresses never are)', () => {
    const other = (addr: string, mtu: string): FacetSnapshot => ({
      ...facet,
      items: {
        ...facet.items,
        'link.eth0.mtu': { value: mtu },
        'addr.eth0.list': { value: `${addr}/24`, nodeSpecific: 'own' },
      },
    });
    const report = check([
      snap('erp-a', { network: other('192.0.2.11', '1400') }),
      snap('erp-b', { network: other('192.0.2.12', '1400') }),
      snap('erp-c', { network: other('192.0.2.13', '9000') }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({ facet: 'network', key: 'link.eth0.mtu', kind: 'mismatch', outliers: ['erp-c'], majority: '1400' });
  });
});

describe('bonds and VLANs (hand-made, see fixtures/README.md)', () => {
  it('reads each bond: mode, monitoring, members and their link state; the active member is node-specific', () => {
    const items = bondItems(parseBonding(handmade('handmade-network-bonding.txt').split('\n')));
    expect(items['bond.bond0.mode']?.value).toBe('fault-tolerance (active-backup)');
    expect(items['bond.bond0.miimon']?.value).toBe('100');
    expect(items['bond.bond0.members']?.value).toBe('2');
    expect(items['bond.bond0.member.ens1f0.mii']?.value).toBe('up');
    expect(items['bond.bond0.member.ens2f0.mii']?.value).toBe('down');
    expect(items['bond.bond0.active']?.nodeSpecific).toBeTruthy();
    expect(items['bond.bond1.mode']?.value).toBe('IEEE 802.3ad Dynamic link aggregation');
    expect(items['bond.bond1.xmit_hash_policy']?.value).toBe('layer3+4 (1)');
    expect(items['bond.bond1.lacp_rate']?.value).toBe('fast');
    // The indented 802.3ad details and per-port LACP state are not configuration.
    expect(Object.keys(items).some((k) => k.includes('Aggregator') || k.includes('port'))).toBe(false);
  });

  it('ip -details: bond membership, VLAN id, kind; docker0 left out', () => {
    const links = JSON.parse(handmade('handmade-network-link-bond.json')) as Record<string, unknown>[];
    const items = linkItems(links);
    expect(items['link.ens1f0.master']?.value).toBe('bond0');
    expect(items['link.ens2f0.state']?.value).toBe('DOWN');
    expect(items['link.bond0.kind']?.value).toBe('bond');
    expect(items['link.bond0.3706.vlan.id']?.value).toBe('3706');
    expect(items['link.bond0.mtu']?.value).toBe('9000');
    expect(Object.keys(items).some((k) => k.startsWith('link.docker0') || k.startsWith('link.lo.'))).toBe(false);
  });
});

describe('network edge cases', () => {
  it('no ip: unsupported with the reason', () => {
    const missing = failed(127, 'sh: 1: exec: ip: not found');
    const facet = parse(Object.fromEntries(NETWORK_COMMAND_IDS.map((id) => [id, missing])));
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('ip: not found');
  });

  it('an iproute2 without JSON (RHEL 7): unsupported, saying so', () => {
    const old = failed(255, 'Option "-json" is unknown, try "ip -help".');
    const facet = parse(Object.fromEntries(NETWORK_COMMAND_IDS.map((id) => [id, old])));
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('older than 4.13');
  });

  it('output that is not ip JSON is an error naming the command', () => {
    const facet = parse({
      ...Object.fromEntries(NETWORK_COMMAND_IDS.map((id) => [id, ok('[]')])),
      'network-link': ok('1: lo: <LOOPBACK>'),
    });
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('network-link');
  });

  it('no IPv6 on the node is not a failure', () => {
    const outputs = fixtureOutputs('debian12', NETWORK_COMMAND_IDS);
    outputs['network-route6'] = failed(2, 'RTNETLINK answers: Address family not supported by protocol');
    const facet = parse(outputs);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items).some((k) => k.startsWith('route.inet6.'))).toBe(false);
  });
});

describe('network parsers never throw (fast-check)', () => {
  const record = fc.dictionary(
    fc.constantFrom(
      'ifname',
      'mtu',
      'operstate',
      'linkinfo',
      'master',
      'link_type',
      'addr_info',
      'dst',
      'gateway',
      'dev',
      'metric',
      'nexthops',
      'type',
    ),
    fc.jsonValue(),
  );
  it('on any JSON records', () => {
    fc.assert(
      fc.property(fc.array(record), (records) => {
        for (const items of [linkItems(records), addrItems(records), routeItems('inet', records)]) {
          for (const item of Object.values(items)) expect(typeof item.value).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parseBonding on any lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('==> /proc/net/bonding/bond0 <==', 'Slave Interface: eth0', 'MII Status: up', ':'))),
        (lines) => {
          bondItems(parseBonding(lines));
        },
      ),
      { numRuns: 300 },
    );
  });
});
