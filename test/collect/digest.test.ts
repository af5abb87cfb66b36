/**
 * collectNode marks each facet with a digest of what its collector read (core/facet-digest.ts):
 * equal exactly when the same commands returned the same bytes, so the engine may compare
 * such facets once. Real recorded outputs (fixtures/demo), replayed; parsed inline.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectNode } from '../../src/collect/collect-node.js';
import { DEFAULT_COLLECTOR_CONTEXT, type CollectorContext } from '../../src/collectors/collector.js';
import { collectorsFor } from '../../src/collectors/registry.js';
import { facetDigest } from '../../src/core/facet-digest.js';
import type { FacetName, NodeSnapshot } from '../../src/core/snapshot.js';
import { ReplayTransport } from '../../src/transports/replay.js';
import { Store } from '../../src/store/index.js';
import { facetContent } from '../../src/core/snapshot.js';
import { report } from '../store/handmade-runs.js';

const DEMO = join(import.meta.dirname, '..', '..', 'fixtures', 'demo');
const FACETS: FacetName[] = ['os', 'kernel', 'packages', 'sysctl', 'services', 'files'];
const CTX: CollectorContext = { ...DEFAULT_COLLECTOR_CONTEXT, files: ['/etc/hosts', '/etc/sysctl.d/*.conf'] };
const scratch = mkdtempSync(join(tmpdir(), 'driftd-digest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function collect(dir: string, node: string, context: CollectorContext = CTX): Promise<NodeSnapshot> {
  const { snapshot } = await collectNode({
    cluster: 'erp',
    node,
    transport: new ReplayTransport({ node, dir }),
    collectors: collectorsFor(FACETS),
    context,
    now: () => new Date('2026-12-07T00:00:00Z'),
    parseInline: true,
  });
  return snapshot;
}

function digests(snapshot: NodeSnapshot): Record<string, string | undefined> {
  return Object.fromEntries(FACETS.map((f) => [f, snapshot.facets[f] && facetDigest(snapshot.facets[f])]));
}

describe('facet digests from collectNode', () => {
  it('two nodes answering the same bytes get the same digest on every facet, and the digest is not part of the facet', async () => {
    const a = await collect(join(DEMO, 'erp-a'), 'one');
    const b = await collect(join(DEMO, 'erp-a'), 'two');
    for (const facet of FACETS) expect(digests(a)[facet]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(digests(b)).toEqual(digests(a));
    expect(JSON.stringify(a.facets.packages)).not.toContain(digests(a)['packages']);
  });

  it('one byte more in one command output changes that facet digest only', async () => {
    const copy = join(scratch, 'changed');
    cpSync(join(DEMO, 'erp-a'), copy, { recursive: true });
    writeFileSync(join(copy, 'packages-query.txt'), `${readText(join(DEMO, 'erp-a', 'packages-query.txt'))} `);
    const a = await collect(join(DEMO, 'erp-a'), 'one');
    const changed = await collect(copy, 'one');
    for (const facet of FACETS) {
      if (facet === 'packages') expect(digests(changed)[facet]).not.toBe(digests(a)[facet]);
      else expect(digests(changed)[facet]).toBe(digests(a)[facet]);
    }
  });

  it('another exit code, or another collector context, is another digest', async () => {
    const copy = join(scratch, 'exit');
    cpSync(join(DEMO, 'erp-a'), copy, { recursive: true });
    writeFileSync(join(copy, 'os-release.exit'), '1\n');
    const a = await collect(join(DEMO, 'erp-a'), 'one');
    expect(digests(await collect(copy, 'one'))['os']).not.toBe(digests(a)['os']);
    const otherFiles = await collect(join(DEMO, 'erp-a'), 'one', { ...CTX, files: ['/etc/hosts'] });
    expect(digests(otherFiles)['files']).not.toBe(digests(a)['files']);
    // A context that only the parser reads (the same commands run): still another digest.
    const denied = await collect(join(DEMO, 'erp-a'), 'one', { ...CTX, sysctlDeny: ['vm.*'] });
    expect(digests(denied)['sysctl']).not.toBe(digests(a)['sysctl']);
  });
});

describe('facet digests in the store', () => {
  it('facets hashed through the digest cache store their own content and the chain verifies', async () => {
    // The store hashes a facet whose digest it has seen by that digest (snapshots.ts):
    // nodes answering alike share a blob, and a node answering otherwise keeps its own.
    const copy = join(scratch, 'stored');
    cpSync(join(DEMO, 'erp-a'), copy, { recursive: true });
    writeFileSync(join(copy, 'packages-query.txt'), `${readText(join(DEMO, 'erp-a', 'packages-query.txt'))} `);
    const store = await Store.open(join(scratch, 'digest.db'));
    try {
      for (const [round, dirs] of [
        [0, [join(DEMO, 'erp-a'), join(DEMO, 'erp-a'), join(DEMO, 'erp-b')]],
        [1, [join(DEMO, 'erp-a'), copy, join(DEMO, 'erp-a')]],
      ] as const) {
        const snapshots = await Promise.all(dirs.map((dir, i) => collect(dir, `n${i + 1}`)));
        const at = `2026-12-07T0${round}:00:00.000Z`;
        await store.saveRun({ cluster: 'erp', startedAt: at, finishedAt: at, snapshots, report: report(at, ['n1', 'n2', 'n3'], []) });
        const stored = await store.latestSnapshots('erp');
        for (const snapshot of snapshots) {
          const back = stored.find((s) => s.node === snapshot.node);
          for (const facet of FACETS)
            expect(back?.facets[facet] && facetContent(back.facets[facet])).toEqual(facetContent(snapshot.facets[facet]!));
        }
      }
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
