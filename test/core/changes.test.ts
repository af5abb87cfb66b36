import { describe, expect, it } from 'vitest';
import { diffSnapshots, type Change } from '../../src/core/changes.js';
import type { FacetSnapshot, NodeSnapshot } from '../../src/core/snapshot.js';

// Hand-made snapshots: the diff only looks at shapes.
function facet(items: Record<string, string>, status: FacetSnapshot['status'] = 'ok', meta?: Record<string, string>): FacetSnapshot {
  const out: FacetSnapshot = { status, items: Object.fromEntries(Object.entries(items).map(([k, v]) => [k, { value: v }])) };
  if (meta) out.meta = meta;
  return out;
}
function node(facets: NodeSnapshot['facets'], error?: string): NodeSnapshot {
  const s: NodeSnapshot = { cluster: 'c', node: 'n', takenAt: '2026-11-24T22:00:00Z', facets };
  if (error !== undefined) s.error = error;
  return s;
}

describe('diffSnapshots', () => {
  const cases: { name: string; prev: NodeSnapshot | null; next: NodeSnapshot; want: Change[] }[] = [
    { name: 'first sight logs nothing', prev: null, next: node({ packages: facet({ a: '1' }) }), want: [] },
    { name: 'identical logs nothing', prev: node({ packages: facet({ a: '1' }) }), next: node({ packages: facet({ a: '1' }) }), want: [] },
    {
      name: 'added, removed and changed items, keys sorted',
      prev: node({ packages: facet({ b: '1', c: '1', a: '1' }) }),
      next: node({ packages: facet({ a: '2', b: '1', d: '1' }) }),
      want: [
        { facet: 'packages', key: 'a', change: 'changed', before: '1', after: '2' },
        { facet: 'packages', key: 'c', change: 'removed', before: '1', after: null },
        { facet: 'packages', key: 'd', change: 'added', before: null, after: '1' },
      ],
    },
    {
      name: 'facet meta change',
      prev: node({ packages: facet({}, 'ok', { format: 'deb' }) }),
      next: node({ packages: facet({}, 'ok', { format: 'rpm' }) }),
      want: [{ facet: 'packages', key: '@meta:format', change: 'changed', before: 'deb', after: 'rpm' }],
    },
    {
      name: 'ok -> error logs the status only, not every item as removed',
      prev: node({ packages: facet({ a: '1', b: '1' }) }),
      next: node({ packages: facet({}, 'error') }),
      want: [{ facet: 'packages', key: '@status', change: 'changed', before: 'ok', after: 'error' }],
    },
    {
      name: 'truncated -> ok logs the status only without a last ok version',
      prev: node({ packages: facet({ a: '1' }, 'truncated') }),
      next: node({ packages: facet({ a: '1', b: '2' }) }),
      want: [{ facet: 'packages', key: '@status', change: 'changed', before: 'truncated', after: 'ok' }],
    },
    {
      name: 'node becomes unreachable: one node-level change',
      prev: node({ packages: facet({ a: '1' }) }),
      next: node({}, 'connect-timeout'),
      want: [{ facet: 'node', key: 'error', change: 'added', before: null, after: 'connect-timeout' }],
    },
    {
      name: 'node reachable again: error removed, facets not reported as new',
      prev: node({}, 'connect-timeout'),
      next: node({ packages: facet({ a: '1' }) }),
      want: [{ facet: 'node', key: 'error', change: 'removed', before: 'connect-timeout', after: null }],
    },
    {
      name: 'facet newly collected',
      prev: node({}),
      next: node({ sysctl: facet({ x: '1' }) }),
      want: [{ facet: 'sysctl', key: '@status', change: 'added', before: null, after: 'ok' }],
    },
    {
      name: 'content change under an equal value is a change',
      prev: node({ files: { status: 'ok', items: { '/etc/x': { value: 'h1', content: 'a' } } } }),
      next: node({ files: { status: 'ok', items: { '/etc/x': { value: 'h1', content: 'b' } } } }),
      want: [{ facet: 'files', key: '/etc/x', change: 'changed', before: 'h1', after: 'h1' }],
    },
  ];
  it.each(cases)('$name', ({ prev, next, want }) => {
    expect(diffSnapshots(prev, next)).toEqual(want);
  });

  it('compares against the last ok version when the node comes back', () => {
    const prev = node({}, 'connect-timeout');
    const next = node({ packages: facet({ a: '2' }) });
    const changes = diffSnapshots(prev, next, { lastOk: { packages: facet({ a: '1' }) } });
    expect(changes).toEqual([
      { facet: 'node', key: 'error', change: 'removed', before: 'connect-timeout', after: null },
      { facet: 'packages', key: 'a', change: 'changed', before: '1', after: '2' },
    ]);
  });

  it('compares against the last ok version when a facet recovers from error', () => {
    const prev = node({ packages: facet({}, 'error') });
    const next = node({ packages: facet({ a: '1', b: '1' }) });
    const changes = diffSnapshots(prev, next, { lastOk: { packages: facet({ a: '1' }) } });
    expect(changes).toEqual([
      { facet: 'packages', key: '@status', change: 'changed', before: 'error', after: 'ok' },
      { facet: 'packages', key: 'b', change: 'added', before: null, after: '1' },
    ]);
  });
});
