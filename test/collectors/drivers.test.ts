/**
 * drivers facet: the real `ethtool -i` capture of the development VM (fixtures/debian12,
 * drivers-*; it has no SCSI host), hand-made SCSI hosts (fixtures/handmade), and the
 * engine on a driver upgraded on one node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { DRIVERS_COMMAND_IDS, driversCollector, hbaItems, nicItems, parseEthtoolBlocks } from '../../src/collectors/drivers.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { check, only } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const parse = (outputs: Parameters<typeof driversCollector.parse>[0]) => driversCollector.parse(outputs, DEFAULT_COLLECTOR_CONTEXT);

describe('drivers on the real Debian 12 capture', () => {
  const facet = parse(fixtureOutputs('debian12', DRIVERS_COMMAND_IDS));

  it('reads driver and version per interface; lo (ethtool: not supported) and empty firmware left out', () => {
    expect(facet.status).toBe('ok');
    expect(facet.items).toEqual({
      'nic.eth0.driver': { value: 'virtio_net' },
      'nic.eth0.version': { value: '1.0.0' },
      'nic.ifb0.driver': { value: 'ifb' },
      'nic.ifb0.version': { value: '6.18.44-fc-v1272' },
      'nic.ifb1.driver': { value: 'ifb' },
      'nic.ifb1.version': { value: '6.18.44-fc-v1272' },
    });
  });

  it('a NIC driver upgraded on one node of three is drift naming it', () => {
    const on = (version: string): FacetSnapshot => ({ ...facet, items: { ...facet.items, 'nic.eth0.version': { value: version } } });
    const report = check([
      snap('erp-a', { drivers: on('1.0.0') }),
      snap('erp-b', { drivers: on('1.0.0') }),
      snap('erp-c', { drivers: on('1.1.0') }),
    ]);
    expect(only(report.findings)).toMatchObject({ key: 'nic.eth0.version', outliers: ['erp-c'], majority: '1.0.0' });
  });
});

describe('drivers edge cases', () => {
  it('storage HBAs by driver (host numbers are probe order, not keys), with the module version', () => {
    const lines = readFileSync(join(FIXTURES, 'handmade', 'handmade-drivers-scsi-host.txt'), 'utf8')
      .trim()
      .split('\n');
    expect(hbaItems(lines)).toEqual({
      'hba.ahci.hosts': { value: '2' },
      'hba.ahci.version': { value: '3.0' },
      'hba.qla2xxx.hosts': { value: '2' },
      'hba.qla2xxx.version': { value: '10.02.07.900-k' },
      'hba.iscsi_tcp.hosts': { value: '1' },
      'hba.iscsi_tcp.version': { value: '2.0-870' },
    });
  });

  it('firmware is kept when ethtool reports one', () => {
    const blocks = parseEthtoolBlocks([
      '==> ens1f0 <==',
      'driver: ice',
      'version: 6.1.0-28-amd64',
      'firmware-version: 4.40 0x8001c967 1.3534.0',
      '<== exit 0',
    ]);
    expect(nicItems(blocks)).toEqual({
      'nic.ens1f0.driver': { value: 'ice' },
      'nic.ens1f0.version': { value: '6.1.0-28-amd64' },
      'nic.ens1f0.firmware': { value: '4.40 0x8001c967 1.3534.0' },
    });
  });

  it('no ethtool and no SCSI host: unsupported, saying to install ethtool', () => {
    const facet = parse({ 'drivers-ethtool': failed(127, 'ethtool: command not found'), 'drivers-scsi-host': ok('') });
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('ethtool');
  });

  it('no ethtool but HBAs visible: ok, the NIC part marked unavailable', () => {
    const facet = parse({
      'drivers-ethtool': failed(127, 'ethtool: command not found'),
      'drivers-scsi-host': ok('host0\tqla2xxx\t10.02.07.900-k\n'),
    });
    expect(facet.status).toBe('ok');
    expect(facet.meta?.nic).toContain('install ethtool');
  });
});

describe('drivers parsers never throw (fast-check)', () => {
  it('on any lines', () => {
    const line = fc.oneof(fc.string(), fc.constantFrom('==> eth0 <==', '<== exit 0', '<== exit 71', 'driver: x', 'version:', '\t\t'));
    fc.assert(
      fc.property(fc.array(line), (lines) => {
        nicItems(parseEthtoolBlocks(lines));
        hbaItems(lines);
      }),
      { numRuns: 300 },
    );
  });
});
