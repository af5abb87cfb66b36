/**
 * The CIB with status the pacemaker collector keeps for failover simulation: stored in the
 * facet's meta, secrets redacted, never compared and never logged as a change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { pacemakerCollector, PACEMAKER_CIB_COMMAND } from '../../src/collectors/pacemaker.js';
import { cibForSimulation, serialiseCib } from '../../src/collectors/pacemaker-cib-state.js';
import { parseXml, type XmlElement } from '../../src/collectors/pacemaker-xml.js';
import { diffFacetContent } from '../../src/core/changes.js';
import { CIB_META_KEY } from '../../src/core/simulate/cib-meta.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { FIXTURES, ok } from '../collectors/fixture-outputs.js';

const PACEMAKER = join(FIXTURES, 'cluster', 'pacemaker');

function facetOf(text: string): FacetSnapshot {
  return pacemakerCollector.parse(
    { [PACEMAKER_CIB_COMMAND]: { ...ok(text), stderr: 'driftd: source=cibadmin\n' } },
    DEFAULT_COLLECTOR_CONTEXT,
  );
}

function root(text: string): XmlElement {
  const xml = parseXml(text);
  if (!xml.ok) throw new Error(xml.error);
  return xml.root;
}

/** The tree without line numbers, to compare a tree with its re-parse. */
function shape(e: XmlElement): unknown {
  return { name: e.name, attrs: { ...e.attrs }, children: e.children.map(shape) };
}

// HAND-MADE edge case: a fence device with a password and a status naming one node.
const WITH_SECRET = `<cib epoch="3" num_updates="7" admin_epoch="0" validate-with="pacemaker-3.9" cib-last-written="Mon Dec  7 10:00:00 2026" update-origin="a" update-client="cibadmin" update-user="root" have-quorum="1" dc-uuid="1">
  <configuration><crm_config/><nodes><node id="1" uname="a"/></nodes>
    <resources><primitive id="fence-a" class="stonith" type="fence_ipmilan"><instance_attributes id="ia">
      <nvpair id="p1" name="password" value="s3cr&amp;t&quot;"/><nvpair id="p2" name="ip" value="10.0.0.9"/>
    </instance_attributes></primitive></resources><constraints/></configuration>
  <status><node_state id="1" uname="a" in_ccm="true" crmd="online" join="member" expected="member"/></status>
</cib>`;

describe('the CIB kept for simulation', () => {
  it('re-parses to the same tree (real CIB with status, cibadmin 2.1.5), minus who wrote it when', () => {
    const text = readFileSync(join(PACEMAKER, 'cibadmin-2.1.5-query-xen-d.txt'), 'utf8');
    const original = root(text);
    const kept = root(serialiseCib(original));
    for (const name of ['cib-last-written', 'update-origin', 'update-client', 'update-user']) delete original.attrs[name];
    expect(shape(kept)).toEqual(shape(original));
    expect(kept.attrs.epoch).toBe('6');
  });

  it('redacts secret-named values and keeps the rest, escaping what needs it', () => {
    const kept = cibForSimulation(root(WITH_SECRET)) ?? '';
    expect(kept).not.toContain('s3cr');
    expect(kept).toMatch(/name="password" value="redacted:sha256:[0-9a-f]{16}"/);
    expect(kept).toContain('value="10.0.0.9"');
    expect(kept).not.toContain('cib-last-written');
    expect(kept).toContain('have-quorum="1"');
  });

  it('is kept in the facet meta only when the status names a node (the on-disk CIB has none)', () => {
    expect(facetOf(WITH_SECRET).meta?.[CIB_META_KEY]).toContain('<node_state');
    const demo = facetOf(readFileSync(join(FIXTURES, 'demo', 'erp-a', 'pacemaker-cib.txt'), 'utf8'));
    expect(demo.status).toBe('ok');
    expect(demo.meta?.[CIB_META_KEY]).toBeUndefined();
  });

  it('serialises any tree so that it re-parses to the same tree', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/);
    const value = fc
      .array(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('&', '<', '>', '"', "'", '\n', '\t', '\r', 'é', '&amp;')), {
        maxLength: 5,
      })
      .map((parts) => parts.join(''));
    const leaf = fc.record({ name, attrs: fc.dictionary(name, value, { maxKeys: 3 }) });
    const { tree } = fc.letrec<{ tree: { name: string; attrs: Record<string, string>; children: unknown[] } }>((tie) => ({
      tree: fc.record({
        name,
        attrs: fc.dictionary(name, value, { maxKeys: 3 }),
        children: fc.array(
          fc.oneof(
            leaf.map((l) => ({ ...l, children: [] })),
            tie('tree'),
          ),
          { maxLength: 3 },
        ),
      }),
    }));
    fc.assert(
      fc.property(tree, (t) => {
        const element = t as unknown as XmlElement;
        const visit = (e: XmlElement): void => {
          e.line = 1;
          if (e.name === 'nvpair') delete e.attrs['value']; // a secret-named one is redacted on purpose
          e.children.forEach(visit);
        };
        visit(element);
        if (element.name === 'cib') return; // the root's who-wrote-it attributes are dropped on purpose
        const again = parseXml(serialiseCib(element));
        expect(again.ok).toBe(true);
        if (again.ok) expect(shape(again.root)).toEqual(shape(element));
      }),
      { numRuns: 300 },
    );
  });

  it('is never logged as a change, though it changes with every resource action', () => {
    const before = facetOf(WITH_SECRET);
    const after = facetOf(WITH_SECRET.replace('num_updates="7"', 'num_updates="8"').replace('expected="member"', 'expected="down"'));
    expect(after.meta?.[CIB_META_KEY]).not.toBe(before.meta?.[CIB_META_KEY]);
    expect(diffFacetContent('pacemaker', before, after)).toEqual([]);
    // ...while other meta still is.
    const moved = { ...after, meta: { ...after.meta, source: '/var/lib/pacemaker/cib/cib.xml' } };
    expect(diffFacetContent('pacemaker', before, moved).map((c) => c.key)).toEqual(['@meta:source']);
  });
});
