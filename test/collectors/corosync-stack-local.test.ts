/**
 * The corosync, pacemaker and drbd collectors' real commands on THIS machine, through
 * the local transport (execFile with argv). A build host has the tools installed but no
 * running cluster: corosync.conf parses with the runtime view unavailable, pacemaker has
 * nothing to read, drbdadm dumps Debian's default configuration.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Collector, CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { corosyncCollector } from '../../src/collectors/corosync.js';
import { drbdCollector } from '../../src/collectors/drbd.js';
import { pacemakerCollector } from '../../src/collectors/pacemaker.js';
import { LocalTransport } from '../../src/transports/local.js';

const CTX = DEFAULT_COLLECTOR_CONTEXT;
const transport = new LocalTransport({ node: 'local', commandTimeoutSeconds: 60, maxOutputBytes: 16 * 1024 * 1024, sudo: false });

async function collect(collector: Collector) {
  const specs = collector.commands(CTX);
  const results = await transport.run(specs);
  const outputs: Record<string, CommandOutput> = {};
  for (const r of results) outputs[r.id] = r;
  return collector.parse(outputs, CTX);
}

const haveCorosync = existsSync('/etc/corosync/corosync.conf') && existsSync('/usr/sbin/corosync-cmapctl');
const haveDrbd = existsSync('/etc/drbd.conf') && existsSync('/usr/sbin/drbdadm');
const clusterRunning = existsSync('/var/lib/pacemaker/cib/cib.xml');
if (!haveCorosync) console.warn('SKIP corosync local run: apt-get install corosync');
if (!haveDrbd) console.warn('SKIP drbd local run: apt-get install drbd-utils');
if (clusterRunning) console.warn('SKIP pacemaker local run: this host holds a CIB, the expectation below is for a build host');

describe('cluster-stack collectors on this machine (local transport)', () => {
  it('every command is argv with an absolute program and a facet-prefixed id', () => {
    for (const collector of [corosyncCollector, pacemakerCollector, drbdCollector]) {
      for (const spec of collector.commands(CTX)) {
        expect(spec.argv[0]).toMatch(/^\//);
        expect(spec.id.startsWith(`${collector.name}-`)).toBe(true);
      }
    }
  });

  it.skipIf(!haveCorosync)('corosync: the installed corosync.conf, runtime unavailable (needs Debian package corosync)', async () => {
    const facet = await collect(corosyncCollector);
    expect(facet.status).toBe('ok');
    expect(facet.items['quorum.provider']?.value).toBe('corosync_votequorum');
    expect(facet.meta?.runtime).toMatch(/^(cmap|unavailable: corosync-cmapctl: .+)$/);
  });

  it.skipIf(clusterRunning)('pacemaker: no cluster and no CIB on disk is unsupported, with the reason', async () => {
    const facet = await collect(pacemakerCollector);
    expect(facet).toEqual({ status: 'unsupported', items: {}, error: 'pacemaker-cib: no answer from cibadmin and no cib.xml on disk' });
  });

  it.skipIf(!haveDrbd)('drbd: drbdadm dumps the installed configuration (needs Debian package drbd-utils)', async () => {
    const facet = await collect(drbdCollector);
    expect(facet.error).toBeUndefined();
    expect(facet.status).toBe('ok');
    expect(facet.meta).toEqual({ source: 'drbdadm' });
    expect(facet.items['global.usage-count']?.value).toBeTruthy();
  });
});
