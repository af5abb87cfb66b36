import { describe, expect, it } from 'vitest';
import { diffNodes, renderNodeDiff } from '../../../src/core/engine/node-diff.js';
import { renderCheckText } from '../../../src/core/engine/render-check.js';
import { check, rules } from './check.js';
import { debPackages, snap, statusFacet, unreachable } from './handmade-cluster.js';

describe('diffNodes', () => {
  const a = snap('erp-a', {
    packages: debPackages({ pacemaker: '2.1.6-1', sbd: '1.5.2-1' }),
    sysctl: { 'vm.swappiness': '10', 'kernel.hostname': { value: 'erp-a', nodeSpecific: 'name' }, 'fs.file-nr': '1' },
    files: { '/etc/hosts': { value: 'sha256=1', content: '127.0.0.1 localhost\n10.0.0.1 erp-a\n' } },
    drbd: statusFacet('unsupported', 'no drbdadm'),
  });
  const b = snap('erp-b', {
    packages: debPackages({ pacemaker: '2.1.5-1', sbd: '1.5.2-1' }),
    sysctl: { 'vm.swappiness': '10', 'kernel.hostname': { value: 'erp-b', nodeSpecific: 'name' }, 'fs.file-nr': '2' },
    files: { '/etc/hosts': { value: 'sha256=2', content: '127.0.0.1 localhost\n10.0.0.2 erp-a\n' } },
    drbd: { 'version.kernel': '9.2.5' },
  });

  it('lists the items that differ side by side, without node-specific ones', () => {
    const d = diffNodes(a, b, {});
    expect(d.facets.map((f) => f.facet)).toEqual(['packages', 'sysctl', 'files', 'drbd']);
    expect(d.facets[0]?.items).toEqual([{ key: 'pacemaker', a: '2.1.6-1', b: '2.1.5-1', severity: 'warning' }]);
    expect(d.facets[1]?.items.map((i) => i.key)).toEqual(['fs.file-nr']);
    expect(d.facets[2]?.items[0]?.diff).toContain('-10.0.0.1 erp-a');
    expect(d.facets[3]).toMatchObject({ statusA: 'unsupported', statusB: 'ok', items: [] });
  });

  it('applies rules: ignore hides, severity shows, a facet filter narrows', () => {
    const r = rules(
      '  - name: noise',
      '    match: { facet: sysctl, key: "fs.*" }',
      '    severity: ignore',
      '  - name: stack',
      '    match: { facet: packages, key: pacemaker }',
      '    severity: critical',
    );
    const d = diffNodes(a, b, { rules: r });
    expect(d.facets.find((f) => f.facet === 'sysctl')).toBeUndefined();
    expect(d.facets[0]?.items[0]?.severity).toBe('critical');
    expect(diffNodes(a, b, { facet: 'packages' }).facets.map((f) => f.facet)).toEqual(['packages']);
    expect(diffNodes(a, b, { facet: 'sysctl', includeNodeSpecific: true }).facets[0]?.items.map((i) => i.key)).toEqual([
      'fs.file-nr',
      'kernel.hostname',
    ]);
  });

  it('renders as plain text, and says so when nothing differs', () => {
    const text = renderNodeDiff(diffNodes(a, b, {}));
    expect(text).toContain('== packages ==');
    expect(text).toMatch(/pacemaker\s+erp-a: 2\.1\.6-1/);
    expect(text).toContain('erp-b: 2.1.5-1');
    expect(text).toContain('facet status: erp-a=unsupported, erp-b=ok (items not compared)');
    expect(renderNodeDiff(diffNodes(a, a, {}))).toContain('No differences.');
  });
});

describe('renderCheckText', () => {
  it('gives the verdict, node scores, findings by severity with values, and what to do', () => {
    const r = rules('  - name: stack', '    match: { facet: packages, key: pacemaker }', '    severity: critical');
    const report = check(
      [
        snap('erp-a', { packages: debPackages({ pacemaker: '2.1.6-1' }), sysctl: { 'vm.swappiness': '10' } }),
        snap('erp-b', { packages: debPackages({ pacemaker: '2.1.6-1' }), sysctl: { 'vm.swappiness': '10' } }),
        snap('erp-c', { packages: debPackages({ pacemaker: '2.1.5-1' }), sysctl: { 'vm.swappiness': '60' } }),
        unreachable('erp-d'),
      ],
      { rules: r },
    );
    const text = renderCheckText(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('erp: NOT READY for failover (score 0.00) - 2 critical, 1 warning, 0 info, 0 waived');
    expect(lines[1]).toBe('checked 2026-11-26T08:00:00.000Z');
    expect(text).toMatch(/erp-a\s+READY\s+1\.00/);
    expect(text).toMatch(/erp-c\s+NOT READY\s+0\.45/);
    expect(text).toMatch(/erp-d\s+UNREACHABLE\s+0\.00/);
    expect(text.indexOf('CRITICAL (2)')).toBeLessThan(text.indexOf('WARNING (1)'));
    expect(text).toContain('pacemaker: erp-c is behind (2.1.5-1 < 2.1.6-1, upstream skew)');
    expect(text).toMatch(/erp-c\s+2\.1\.5-1\s+<- outlier/);
    expect(text).toContain('What to do:');
    expect(text).toContain('erp-d is unreachable');
    // Who to fix, counted per node, and a diff of an offending node against a compliant one.
    expect(text).toContain('Fix the nodes each critical finding names: erp-c (1);');
    expect(text).toContain('`driftd diff erp-c erp-a`');
    // Nodes grouped by value by default; one line per node with --verbose.
    expect(text).toMatch(/erp-a, erp-b\s+2\.1\.6-1\n/);
    expect(renderCheckText(report, { verbose: true })).toMatch(/erp-a\s+2\.1\.6-1\n\s+erp-b\s+2\.1\.6-1\n/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('fits 120 columns, shortens hashes, escapes node text before colouring, colours only when asked', () => {
    const hash = (c: string) => c.repeat(64);
    const evil = 'x\u001b]0;owned\u0007' + 'y'.repeat(300);
    const report = check(
      [
        snap('erp-a', { files: { '/etc/hosts': `sha256=${hash('a')} mode=0644` }, os: { pretty: 'Debian' } }),
        snap('erp-b', { files: { '/etc/hosts': `sha256=${hash('a')} mode=0644` }, os: { pretty: 'Debian' } }),
        snap('erp-c', { files: { '/etc/hosts': `sha256=${hash('b')} mode=0644` }, os: { pretty: evil } }),
      ],
      { rules: rules('  - name: f', '    match: { facet: files, key: "*" }', '    severity: critical') },
    );
    const plain = renderCheckText(report);
    for (const line of plain.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
    expect(plain).toContain(`sha256=${'b'.repeat(12)}`);
    expect(plain).not.toContain(hash('b'));
    expect(plain).not.toContain('\u001b');
    expect(plain).toContain('x\\e]0;owned\\x07');
    const coloured = renderCheckText(report, { color: true });
    expect(coloured).toContain('\u001b[31;1m');
    // The only escape sequences are driftd's own SGR codes.
    // eslint-disable-next-line no-control-regex -- ESC is what this strips
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).not.toContain('\u001b');
    // Colour codes take no columns: the visible text fits 120 columns too.
    // eslint-disable-next-line no-control-regex -- ESC is what this strips
    for (const line of coloured.split('\n')) expect(line.replace(/\u001b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(120);
    expect(renderCheckText(report, { verbose: true })).toContain(hash('b').slice(0, 12));
  });

  it('says READY and no drift for a clean cluster', () => {
    const text = renderCheckText(check([snap('erp-a', { sysctl: { k: '1' } }), snap('erp-b', { sysctl: { k: '1' } })]));
    expect(text.split('\n')[0]).toMatch(/^erp: READY for failover \(score 1\.00\)/);
    expect(text).toContain('No drift');
    expect(text).not.toContain('What to do');
  });

  it('shows waived findings with who waived them and until when', () => {
    const r = rules(
      '  - name: swap',
      '    match: { facet: sysctl, key: k }',
      '    waivers: [{ justification: "CHG-42", author: alice, expires: 2030-01-01 }]',
    );
    const text = renderCheckText(check([snap('erp-a', { sysctl: { k: '1' } }), snap('erp-b', { sysctl: { k: '2' } })], { rules: r }));
    expect(text).toContain('WAIVED (1)');
    expect(text).toContain('waived by alice until 2030-01-01 (rule swap): CHG-42');
  });
});
