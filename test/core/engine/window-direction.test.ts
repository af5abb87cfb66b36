/**
 * An open window's expectation sets the direction (issue #21): in a standby-first window
 * the patched standby is the minority, yet the nodes to fix are the ones not yet at the
 * declared target, and every line of the verdict says so.
 */
import { describe, expect, it } from 'vitest';
import { renderCheckText } from '../../../src/core/engine/render-check.js';
import { parseConstraint, type Expectation } from '../../../src/core/window/expectation.js';
import type { WindowDirection } from '../../../src/core/engine/window-direction.js';
import { check, only } from './check.js';
import { debPackages, facet, snap } from './handmade-cluster.js';

function windowOf(name: string, facetName: 'packages' | 'sysctl', item: string, text: string): WindowDirection {
  const constraint = parseConstraint(text);
  if (constraint instanceof Error) throw constraint;
  const expectation: Expectation = { name, items: [{ facet: facetName, name: item, constraint }], allow: [] };
  return { expectation, format: 'deb' };
}

const OLD = '3.0.11-1~deb12u2';
const NEW = '3.0.15-1~deb12u1';
const cluster = (b: string) => [
  snap('erp-a', { packages: debPackages({ openssl: OLD, bash: '5.2.15-2+b7' }) }),
  snap('erp-b', { packages: debPackages({ openssl: b, bash: '5.2.15-2+b7' }) }),
  snap('erp-c', { packages: debPackages({ openssl: OLD, bash: '5.2.15-2+b7' }) }),
];

describe('an open window decides which nodes are to fix on the items it declares', () => {
  it('without a window the majority decides: the patched standby is the outlier', () => {
    const f = only(check(cluster(NEW)).findings);
    expect(f.outliers).toEqual(['erp-b']);
  });

  it('with the window, the nodes not yet at the target are named, in the message, fix and What to do', () => {
    const report = check(cluster(NEW), { window: windowOf('openssl-cve', 'packages', 'openssl', `>=${NEW}`) });
    const f = only(report.findings);
    expect(f.outliers).toEqual(['erp-a', 'erp-c']);
    expect(f.majority).toBe(NEW);
    expect(f.message).toContain(`window openssl-cve expects >=${NEW} (erp-b has ${NEW}): fix erp-a, erp-c`);
    const text = renderCheckText(report, { verbose: false, color: false });
    // The suggested diff pairs an offending node with a compliant one.
    expect(text).toContain('`driftd diff erp-a erp-b`');
    // Nodes are scored on what the window says is theirs to fix.
    const byName = Object.fromEntries(report.nodes.map((n) => [n.name, n]));
    expect(byName['erp-b']?.score).toBeGreaterThan(byName['erp-a']?.score ?? 100);
  });

  it('a node that went past the target the wrong way is the one to fix, even as the majority', () => {
    // Two nodes were patched to a build the window does not allow (< target); one is right.
    const w = windowOf('pin', 'packages', 'openssl', `=${OLD}`);
    const report = check(cluster(NEW), { window: w });
    expect(only(report.findings).outliers).toEqual(['erp-b']);
    const two = [
      snap('erp-a', { packages: debPackages({ openssl: NEW }) }),
      snap('erp-b', { packages: debPackages({ openssl: NEW }) }),
      snap('erp-c', { packages: debPackages({ openssl: OLD }) }),
    ];
    const f = only(check(two, { window: w }).findings);
    expect(f.outliers).toEqual(['erp-a', 'erp-b']);
    expect(f.message).toContain('fix erp-a, erp-b');
  });

  it('one upgrade of two packages pinned by the window to the older build: the grouped headline names the nodes to fix', () => {
    const pk = (v: string) => debPackages({ openssl: v, 'libssl3:amd64': v });
    const nodes = [snap('erp-a', { packages: pk(NEW) }), snap('erp-b', { packages: pk(NEW) }), snap('erp-c', { packages: pk(OLD) })];
    const constraint = parseConstraint(`=${OLD}`);
    if (constraint instanceof Error) throw constraint;
    const both: WindowDirection = {
      expectation: {
        name: 'pin',
        items: [
          { facet: 'packages', name: 'openssl', constraint },
          { facet: 'packages', name: 'libssl3:amd64', constraint },
        ],
        allow: [],
      },
      format: 'deb',
    };
    const f = only(check(nodes, { window: both }).findings);
    expect(f.key).toBe('openssl');
    expect(f.outliers).toEqual(['erp-a', 'erp-b']);
    expect(f.message).toBe(
      `packages openssl, libssl3:amd64 (one change): erp-a has ${NEW}, erp-b has ${NEW}; window pin expects =${OLD} (erp-c has ${OLD}): fix erp-a, erp-b`,
    );
    expect(f.message).not.toContain('behind');
    // Only openssl pinned: libssl3 keeps the majority's direction, so the two are not one change.
    const one = check(nodes, { window: windowOf('pin', 'packages', 'openssl', `=${OLD}`) }).findings;
    expect(Object.fromEntries(one.map((x) => [x.key, x.outliers]))).toEqual({ openssl: ['erp-a', 'erp-b'], 'libssl3:amd64': ['erp-c'] });
  });

  it('items the window does not declare keep the majority direction', () => {
    const nodes = [
      snap('erp-a', { sysctl: facet({ 'vm.swappiness': '60' }) }),
      snap('erp-b', { sysctl: facet({ 'vm.swappiness': '10' }) }),
      snap('erp-c', { sysctl: facet({ 'vm.swappiness': '60' }) }),
    ];
    const f = only(check(nodes, { window: windowOf('w', 'sysctl', 'kernel.panic', '10') }).findings);
    expect(f.outliers).toEqual(['erp-b']);
  });

  it('when no node meets the expectation yet, or every node does, the majority still decides', () => {
    const far = windowOf('w', 'packages', 'openssl', '>=9.0');
    expect(only(check(cluster(NEW), { window: far }).findings).outliers).toEqual(['erp-b']);
    const loose = windowOf('w', 'packages', 'openssl', '>=1.0');
    expect(only(check(cluster(NEW), { window: loose }).findings).outliers).toEqual(['erp-b']);
  });

  it('an absent package the window requires: the nodes without it are to fix', () => {
    const nodes = [
      snap('erp-a', { packages: debPackages({ bash: '5.2.15-2+b7' }) }),
      snap('erp-b', { packages: debPackages({ bash: '5.2.15-2+b7', 'fence-agents': '4.12.1-1' }) }),
      snap('erp-c', { packages: debPackages({ bash: '5.2.15-2+b7' }) }),
    ];
    const f = only(check(nodes, { window: windowOf('w', 'packages', 'fence-agents', 'present') }).findings);
    expect(f.outliers).toEqual(['erp-a', 'erp-c']);
    expect(f.message).toContain('erp-a has (absent)');
  });
});
