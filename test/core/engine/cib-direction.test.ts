/**
 * CIB drift is directed by CIB version, as Pacemaker resolves it: on joining, the node
 * with the highest (admin_epoch, epoch, num_updates) gives its CIB to every node
 * (Pacemaker Explained, "Cluster-Wide Configuration"). Hand-made clusters.
 */
import { describe, expect, it } from 'vitest';
import { parseCibVersion } from '../../../src/core/engine/cib-direction.js';
import { check, only } from './check.js';
import { facet, snap } from './handmade-cluster.js';

const cib = (mask: string, version: string, source = 'cibadmin') =>
  facet(
    { 'resource.erp-ip': 'ocf:heartbeat:IPaddr2', 'resource.erp-ip.param.cidr_netmask': mask },
    { meta: { source, 'cib-version': version } },
  );
const ON_DISK = '/var/lib/pacemaker/cib/cib.xml';

describe('CIB drift follows the CIB version, not the majority', () => {
  it('a node out of the cluster with an older CIB: it is the outlier, and the fix is to let it join, not to edit it', () => {
    const f = only(
      check([
        snap('erp-a', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-b', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-c', { pacemaker: cib('16', '0.14.0', ON_DISK) }),
      ]).findings,
    );
    expect(f.outliers).toEqual(['erp-c']);
    expect(f.message).toContain(`erp-c has 16 in an older CIB (erp-c 0.14.0 from ${ON_DISK}): out of the cluster`);
    expect(f.message).toContain('the newest CIB (0.15.3 on erp-a, erp-b) has 24');
    expect(f.remediation).toMatch(/^Start the cluster stack on erp-c/);
  });

  it("a node out of the cluster with a NEWER CIB is the one to fix: on joining its configuration replaces the cluster's", () => {
    const report = check([
      snap('erp-a', { pacemaker: cib('24', '0.15.3') }),
      snap('erp-b', { pacemaker: cib('24', '0.15.3') }),
      snap('erp-c', { pacemaker: cib('16', '1.2.0', ON_DISK) }),
    ]);
    const f = only(report.findings);
    // The majority direction would also name erp-c, but as a node to align: here it is
    // named because its copy wins on joining, and that is critical whatever the rule said.
    expect(f.outliers).toEqual(['erp-c']);
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('erp-c holds a CIB newer (1.2.0, from /var/lib/pacemaker/cib/cib.xml) than the running cluster');
    expect(f.message).toContain('becomes 16 cluster-wide: fix erp-c');
    expect(f.remediation).toMatch(/move its CIB copy away/);
  });

  it('the newer copy on two stopped nodes outvotes nothing: the one live node is right and the two are to fix', () => {
    const f = only(
      check([
        snap('erp-a', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-b', { pacemaker: cib('16', '0.16.0', ON_DISK) }),
        snap('erp-c', { pacemaker: cib('16', '0.16.0', ON_DISK) }),
      ]).findings,
    );
    // The majority (erp-b, erp-c have 16) would have named erp-a.
    expect(f.outliers).toEqual(['erp-b', 'erp-c']);
    expect(f.majority).toBe('24');
    expect(f.message).toContain('fix erp-b, erp-c');
  });

  it('live nodes with different CIB versions are in separate partitions: the message says so', () => {
    const f = only(
      check([
        snap('erp-a', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-b', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-c', { pacemaker: cib('16', '0.14.9') }),
      ]).findings,
    );
    expect(f.outliers).toEqual(['erp-c']);
    expect(f.message).toContain('although it answers cibadmin: not in the same partition as erp-a, erp-b');
  });

  it('equal versions, or a node without a version, keep the peer diff', () => {
    const same = only(
      check([
        snap('erp-a', { pacemaker: cib('16', '0.15.3', ON_DISK) }),
        snap('erp-b', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-c', { pacemaker: cib('24', '0.15.3') }),
      ]).findings,
    );
    expect(same.outliers).toEqual(['erp-a']);
    expect(same.message).not.toContain('CIB');
    const unversioned = only(
      check([
        snap('erp-a', { pacemaker: cib('24', '0.15.3') }),
        snap('erp-b', { pacemaker: facet({ 'resource.erp-ip': 'ocf:heartbeat:IPaddr2', 'resource.erp-ip.param.cidr_netmask': '16' }) }),
        snap('erp-c', { pacemaker: cib('16', '0.14.0', ON_DISK) }),
      ]).findings,
    );
    expect(unversioned.outliers).toEqual(['erp-a']);
  });

  it("SBD settings are each node's own files: the majority still decides", () => {
    const sbd = (timeout: string, version: string) =>
      facet({ 'sbd.SBD_WATCHDOG_TIMEOUT': timeout }, { meta: { source: 'cibadmin', 'cib-version': version } });
    const f = only(
      check([
        snap('a', { pacemaker: sbd('5', '0.9.0') }),
        snap('b', { pacemaker: sbd('5', '0.9.0') }),
        snap('c', { pacemaker: sbd('10', '0.10.0') }),
      ]).findings,
    );
    expect(f.outliers).toEqual(['c']);
  });

  it('reads versions as Pacemaker orders them and refuses anything else', () => {
    expect(parseCibVersion('0.15.3')).toEqual([0, 15, 3]);
    expect(parseCibVersion('1.0')).toBeUndefined();
    expect(parseCibVersion('0.x.1')).toBeUndefined();
    expect(parseCibVersion(undefined)).toBeUndefined();
  });
});
