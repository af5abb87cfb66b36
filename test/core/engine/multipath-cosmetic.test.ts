/**
 * multipath.conf edited only cosmetically on one node (issue #25): the files facet sees
 * other bytes, the multipath facet the same settings, so it is one info finding, not
 * drift. A real change is explained by the multipath facet's finding (the file's digest
 * becomes its evidence). Hand-made configuration pair: fixtures/handmade (README rows).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { multipathConfItems } from '../../../src/collectors/multipath.js';
import { sha256Hex, type FacetSnapshot, type Item } from '../../../src/core/snapshot.js';
import { loadRulePacks } from '../../../src/rules/load.js';
import { check, only } from './check.js';
import { snap } from './handmade-cluster.js';

const read = (name: string) => readFileSync(join(import.meta.dirname, '../../../fixtures/handmade', name), 'utf8');
const CONF = read('handmade-multipath.conf');
const COSMETIC = read('handmade-multipath-cosmetic.conf');
const PATH = '/etc/multipath.conf';
const SHIPPED = loadRulePacks([], { includeShipped: true }).rules;

function fileItem(text: string): Item {
  return { value: `sha256=${sha256Hex(text)} mode=0644 owner=root:root group=root size=${Buffer.byteLength(text)}`, content: text };
}

function multipathFacet(text: string): FacetSnapshot {
  return { status: 'ok', items: multipathConfItems([{ path: PATH, text }]), meta: { files: PATH } };
}

function node(name: string, text: string) {
  return snap(name, { files: { [PATH]: fileItem(text) }, multipath: multipathFacet(text) });
}

describe('multipath.conf: cosmetic edits are not drift', () => {
  it('a rewrite with the same settings on one node is one info finding keeping the diff', () => {
    const report = check([node('erp-a', CONF), node('erp-b', CONF), node('erp-c', COSMETIC)], { rules: SHIPPED });
    const f = only(report.findings);
    expect(f).toMatchObject({ facet: 'files', key: PATH, severity: 'info', outliers: ['erp-c'] });
    expect(f.message).toContain('cosmetic difference only on erp-c');
    expect(report.ready).toBe(true);
  });

  it('a real change is the multipath finding, with the file as its evidence', () => {
    const changed = CONF.replace('no_path_retry queue', 'no_path_retry fail');
    const report = check([node('erp-a', CONF), node('erp-b', CONF), node('erp-c', changed)], { rules: SHIPPED });
    const f = only(report.findings);
    expect(f).toMatchObject({ facet: 'multipath', key: 'conf.devices.device[NETAPP/LUN.*].no_path_retry', outliers: ['erp-c'] });
    expect(f.evidence?.map((e) => e.key)).toEqual([PATH]);
  });
});
