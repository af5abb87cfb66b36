/** Issue #22: per-item and per-node caps (src/collect/limits.ts) and the parse pool's workers. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { collectorsFor } from '../../src/collectors/registry.js';
import { capSnapshot, MAX_ITEM_VALUE_CHARS, MAX_ITEMS_PER_NODE } from '../../src/collect/limits.js';
import { parsePoolState, parseSnapshot } from '../../src/collect/parse-pool.js';
import type { Item, NodeSnapshot } from '../../src/core/snapshot.js';

const snapshot = (facets: NodeSnapshot['facets']): NodeSnapshot => ({ cluster: 'c', node: 'n', takenAt: '2026-12-07T00:00:00Z', facets });

describe('capSnapshot', () => {
  it('keeps a snapshot under every cap as it is', () => {
    const s = snapshot({ os: { status: 'ok', items: { id: { value: 'debian' } } } });
    expect(capSnapshot(s)).toBe(s);
  });

  it('drops an item whose value is over the per-item cap; the facet is truncated and says which cap and where', () => {
    const s = snapshot({
      os: { status: 'ok', items: { id: { value: 'debian' }, pretty_name: { value: 'x'.repeat(MAX_ITEM_VALUE_CHARS + 1) } } },
    });
    const os = capSnapshot(s).facets.os;
    expect(os?.status).toBe('truncated');
    expect(os?.items).toEqual({ id: { value: 'debian' } });
    expect(os?.error).toBe(
      `1 item(s) not kept: the value of "pretty_name" is ${MAX_ITEM_VALUE_CHARS + 1} characters, over the ${MAX_ITEM_VALUE_CHARS}-character cap per item value; it was not kept (fixed in driftd: src/collect/limits.ts, see README "Facets")`,
    );
  });

  it('a facet that hits the per-node item cap keeps none of its items; facets before it are kept', () => {
    const many: Record<string, Item> = {};
    for (let i = 0; i < MAX_ITEMS_PER_NODE + 10; i++) many[`k${i}`] = { value: 'v' };
    const capped = capSnapshot(
      snapshot({ os: { status: 'ok', items: { id: { value: 'debian' } } }, sysctl: { status: 'ok', items: many } }),
    );
    expect(capped.facets.os?.status).toBe('ok');
    expect(capped.facets.sysctl?.status).toBe('truncated');
    expect(Object.keys(capped.facets.sysctl?.items ?? {})).toHaveLength(0);
    expect(capped.facets.sysctl?.error).toMatch(`more than ${MAX_ITEMS_PER_NODE} items (cap per node)`);
  });
});

describe('parse pool', () => {
  it('parses in a worker thread, applies the caps there, and the worker exits when idle (memory released)', async () => {
    const results = [
      {
        id: 'os-release',
        exitCode: 0,
        stdout: `ID=debian\nPRETTY_NAME="${'A'.repeat(20 * 1024 * 1024)}"\n`,
        stderr: '',
        truncated: false,
        durationMs: 1,
      },
      { id: 'os-hostname', exitCode: 0, stdout: 'h\n', stderr: '', truncated: false, durationMs: 1 },
      { id: 'os-arch', exitCode: 0, stdout: 'x86_64\n', stderr: '', truncated: false, durationMs: 1 },
    ];
    const snap = await parseSnapshot({
      cluster: 'c',
      node: 'n',
      takenAt: 't',
      collectors: collectorsFor(['os']),
      context: DEFAULT_COLLECTOR_CONTEXT,
      results,
    });
    expect(parsePoolState()).toEqual({ workers: 1, inlineFallback: false });
    expect(snap.facets.os?.status).toBe('truncated');
    expect(snap.facets.os?.items['pretty_name']).toBeUndefined();
    expect(snap.facets.os?.items['id']).toEqual({ value: 'debian' });
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(parsePoolState().workers).toBe(0);
  }, 30_000);
});
