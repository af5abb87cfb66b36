/**
 * Cosmetic edits are not drift (issue #21): a corosync.conf, DRBD config or sysctl.d file
 * that differs from its peers only in comments, blank lines, indentation, key or section
 * order or CRLF line ends gives at most one info finding, keeping the diff. Each case is a
 * real fixture against a hand-made cosmetic variant of it (fixtures/cluster/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCorosyncConf } from '../../../src/collectors/corosync-conf.js';
import { flattenDrbd, parseDrbdConf } from '../../../src/collectors/drbd-conf.js';
import { parseSysctlConf } from '../../../src/collectors/sysctl-conf.js';
import { canonicalConfig, configKindOf } from '../../../src/core/engine/config-text.js';
import { sha256Hex, type Item } from '../../../src/core/snapshot.js';
import { check, only, rules, withEvidence } from './check.js';
import { facet, snap } from './handmade-cluster.js';

const FIX = join(__dirname, '../../../fixtures');
const read = (p: string) => readFileSync(join(FIX, p), 'utf8');

const COROSYNC = read('demo/erp-a/corosync-conf.txt');
const COROSYNC_COSMETIC = read('cluster/corosync/handmade-demo-erp-a-cosmetic-crlf.conf');
const DRBD = read('cluster/drbd/debian12-drbd-utils-9.22.0-global_common.conf');
const DRBD_COSMETIC = read('cluster/drbd/handmade-debian12-global_common-cosmetic-crlf.conf');
const SYSCTL = read('cluster/sysctl/demo-90-erp.conf');
const SYSCTL_COSMETIC = read('cluster/sysctl/handmade-90-erp-cosmetic-crlf.conf');

describe('the fixtures really are cosmetic variants', () => {
  it('differ byte for byte, and use CRLF', () => {
    for (const [a, b] of [
      [COROSYNC, COROSYNC_COSMETIC],
      [DRBD, DRBD_COSMETIC],
      [SYSCTL, SYSCTL_COSMETIC],
    ] as const) {
      expect(a).not.toBe(b);
      expect(b).toContain('\r\n');
    }
  });
});

describe('parsers are insensitive to cosmetics where the software is', () => {
  it('corosync.conf: same keys and values (nodelist order does not matter, nodeid does)', () => {
    const kv = (text: string) => {
      const r = parseCorosyncConf(text);
      if (!r.ok) throw new Error(r.error);
      return Object.fromEntries(r.entries.map((e) => [e.key, e.value]));
    };
    expect(kv(COROSYNC_COSMETIC)).toEqual(kv(COROSYNC));
    const renumbered = COROSYNC_COSMETIC.replace('nodeid: 3', 'nodeid: 4');
    expect(kv(renumbered)['nodelist.node[name=erp-c].nodeid']).toBe('4');
    expect(kv(renumbered)).not.toEqual(kv(COROSYNC));
  });

  it('DRBD config: same flattened settings', () => {
    const kv = (text: string) => {
      const r = parseDrbdConf(text);
      if (!r.ok) throw new Error(r.error);
      return Object.fromEntries(flattenDrbd(r.statements));
    };
    expect(kv(DRBD_COSMETIC)).toEqual(kv(DRBD));
  });

  it('sysctl.d: same assignments (only the line numbers of the sources move)', () => {
    const kv = (text: string) => Object.fromEntries(parseSysctlConf(text).assignments.map((a) => [a.key, a.value]));
    expect(kv(SYSCTL_COSMETIC)).toEqual(kv(SYSCTL));
  });
});

describe('canonicalConfig', () => {
  it.each([
    ['/etc/corosync/corosync.conf', COROSYNC, COROSYNC_COSMETIC],
    ['/etc/drbd.d/global_common.conf', DRBD, DRBD_COSMETIC],
    ['/etc/sysctl.d/90-erp.conf', SYSCTL, SYSCTL_COSMETIC],
  ])('%s: the cosmetic variant reads the same', (path, a, b) => {
    const kind = configKindOf(path);
    expect(kind).toBeDefined();
    if (!kind) return;
    expect(canonicalConfig(kind, b)).toBe(canonicalConfig(kind, a));
  });

  it.each([
    ['/etc/corosync/corosync.conf', COROSYNC, COROSYNC.replace('token: 3000', 'token: 5000')],
    ['/etc/corosync/corosync.conf', COROSYNC, COROSYNC.replace('nodeid: 3', 'nodeid: 4')],
    [
      '/etc/corosync/corosync.conf',
      COROSYNC,
      COROSYNC.replace(/\tnode \{\n\t\tname: erp-b\n\t\tnodeid: 2\n\t\tring0_addr: 10.0.0.12\n\t\}\n/, ''),
    ],
    ['/etc/drbd.d/global_common.conf', DRBD, DRBD.replace('usage-count no;', 'usage-count yes;')],
    ['/etc/drbd.d/r0.res', 'resource r0 { net { shared-secret "a#b"; } }', 'resource r0 { net { shared-secret "a#c"; } }'],
    ['/etc/sysctl.d/90-erp.conf', SYSCTL, SYSCTL.replace('vm.swappiness = 10', 'vm.swappiness = 60')],
    ['/etc/sysctl.d/90-erp.conf', SYSCTL, `${SYSCTL}vm.swappiness = 60\n`],
  ])('%s: a real change does not', (path, a, b) => {
    expect(a).not.toBe(b);
    const kind = configKindOf(path);
    if (!kind) throw new Error(path);
    expect(canonicalConfig(kind, b)).not.toBe(canonicalConfig(kind, a));
  });

  it('knows which facet reads a path', () => {
    expect(configKindOf('/etc/sysctl.conf')).toBe('sysctl');
    expect(configKindOf('/usr/lib/sysctl.d/50-default.conf')).toBe('sysctl');
    expect(configKindOf('/etc/drbd.conf')).toBe('drbd');
    expect(configKindOf('/etc/hosts')).toBeUndefined();
  });
});

/** A files-facet item for a text, as the files collector makes it. */
function fileItem(text: string, mode = '0644'): Item {
  return { value: `sha256=${sha256Hex(text)} mode=${mode} owner=root:root group=root size=${Buffer.byteLength(text)}`, content: text };
}

/** A corosync facet with the parsed keys and the raw digest item, as the collector makes it. */
function corosyncFacet(text: string) {
  const r = parseCorosyncConf(text);
  if (!r.ok) throw new Error(r.error);
  const items: Record<string, Item> = Object.fromEntries(r.entries.map((e) => [e.key, { value: e.value }]));
  items['file:/etc/corosync/corosync.conf'] = { value: `sha256:${sha256Hex(text)}`, content: text };
  return facet(items);
}

const CLUSTER_FILES = rules('  - name: cluster-files', '    match: { facet: files, key: "*" }', '    severity: critical');
const BOTH_CRITICAL = rules(
  '  - name: corosync-config',
  '    match: { facet: corosync, key: "*" }',
  '    severity: critical',
  '  - name: cluster-files',
  '    match: { facet: files, key: "*" }',
  '    severity: critical',
);

describe('cosmetic-only edits in a cluster: no warning or critical, one info finding with the diff', () => {
  it.each([
    ['/etc/sysctl.d/90-erp.conf', SYSCTL, SYSCTL_COSMETIC],
    ['/etc/drbd.d/global_common.conf', DRBD, DRBD_COSMETIC],
    ['/etc/corosync/corosync.conf', COROSYNC, COROSYNC_COSMETIC],
  ])('files facet: %s', (path, a, b) => {
    const report = check(
      [
        snap('erp-a', { files: { [path]: fileItem(a) } }),
        snap('erp-b', { files: { [path]: fileItem(a) } }),
        snap('erp-c', { files: { [path]: fileItem(b) } }),
      ],
      { rules: CLUSTER_FILES },
    );
    const f = only(report.findings);
    expect(f).toMatchObject({ severity: 'info', key: path, outliers: ['erp-c'] });
    expect(f.message).toContain('cosmetic difference only on erp-c');
    expect(f.detail?.diff).toContain('erp-c:');
    expect(report.summary).toMatchObject({ critical: 0, warning: 0, info: 1 });
    expect(report.ready).toBe(true);
  });

  it.each([
    ['/etc/sysctl.d/90-erp.conf', SYSCTL, SYSCTL.replace('vm.swappiness = 10', 'vm.swappiness = 60')],
    ['/etc/drbd.d/global_common.conf', DRBD, DRBD.replace('usage-count no;', 'usage-count yes;')],
  ])('a real change with no parsed finding to explain it stays a headline at its own severity: %s', (path, a, b) => {
    const report = check(
      [
        snap('erp-a', { files: { [path]: fileItem(a) } }),
        snap('erp-b', { files: { [path]: fileItem(a) } }),
        snap('erp-c', { files: { [path]: fileItem(b) } }),
      ],
      { rules: CLUSTER_FILES },
    );
    expect(only(report.findings)).toMatchObject({ severity: 'critical', outliers: ['erp-c'] });
  });

  it('a changed mode is not cosmetic, even with the same text', () => {
    const path = '/etc/sysctl.d/90-erp.conf';
    const report = check(
      [
        snap('erp-a', { files: { [path]: fileItem(SYSCTL) } }),
        snap('erp-b', { files: { [path]: fileItem(SYSCTL) } }),
        snap('erp-c', { files: { [path]: fileItem(SYSCTL_COSMETIC, '0666') } }),
      ],
      { rules: CLUSTER_FILES },
    );
    expect(only(report.findings).severity).toBe('critical');
  });

  it('corosync.conf seen by the corosync facet (digest) and the files facet: one info finding', () => {
    const path = '/etc/corosync/corosync.conf';
    const node = (name: string, text: string) => snap(name, { corosync: corosyncFacet(text), files: { [path]: fileItem(text) } });
    const report = check([node('erp-a', COROSYNC), node('erp-b', COROSYNC), node('erp-c', COROSYNC_COSMETIC)], { rules: BOTH_CRITICAL });
    const f = only(report.findings);
    expect(f).toMatchObject({ severity: 'info', facet: 'corosync', key: `file:${path}` });
    expect(f.evidence?.map((e) => `${e.facet}:${e.key}`)).toEqual([`files:${path}`]);
    expect(report.summary).toMatchObject({ critical: 0, warning: 0, info: 1 });
  });

  it('a real corosync change: the parsed key is the headline, both raw faces its evidence', () => {
    const path = '/etc/corosync/corosync.conf';
    const changed = COROSYNC.replace('token: 3000', 'token: 4000');
    const node = (name: string, text: string) => snap(name, { corosync: corosyncFacet(text), files: { [path]: fileItem(text) } });
    const report = check([node('erp-a', COROSYNC), node('erp-b', COROSYNC), node('erp-c', changed)], { rules: BOTH_CRITICAL });
    const f = only(report.findings);
    expect(f).toMatchObject({ severity: 'critical', key: 'totem.token', outliers: ['erp-c'] });
    expect(f.evidence?.map((e) => `${e.facet}:${e.key}`).sort()).toEqual([`corosync:file:${path}`, `files:${path}`]);
    expect(withEvidence(report)).toHaveLength(3);
  });
});

describe('canonicalConfig properties', () => {
  it.each([['corosync'], ['drbd'], ['sysctl'], ['multipath']] as const)(
    '%s: never throws, and ignores CRLF and added comment lines',
    async (kind) => {
      const fc = (await import('fast-check')).default;
      fc.assert(
        fc.property(fc.array(fc.string(), { maxLength: 30 }), fc.string({ maxLength: 20 }), (lines, comment) => {
          const text = lines.join('\n');
          const canonical = canonicalConfig(kind, text);
          expect(typeof canonical).toBe('string');
          expect(canonicalConfig(kind, text.replace(/\n/g, '\r\n'))).toBe(canonical);
          // A whole-line comment (no newline or quote inside) between statements changes nothing.
          const safe = `# ${comment.replace(/[\r\n"]/g, '')}`;
          if (lines.every((l) => !l.includes('"') && !l.includes('\\'))) expect(canonicalConfig(kind, `${safe}\n${text}`)).toBe(canonical);
        }),
        { numRuns: 300 },
      );
    },
  );
});
