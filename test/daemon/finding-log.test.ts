/**
 * The daemon logs what changed per run (issue #21): findings opened and resolved since the
 * previous run, at levels journald can filter; a finding still open is not logged again.
 * Runs are stored in a real Store, so the episodes are the ones the daemon reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findingLogLines } from '../../src/daemon/finding-log.js';
import { Store } from '../../src/store/index.js';
import { check, rules } from '../core/engine/check.js';
import { debPackages, snap } from '../core/engine/handmade-cluster.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const R = rules('  - name: stack', '    match: { facet: packages, key: pacemaker }', '    severity: critical');

function report(pacemakerOnC: string, swappinessOnC: string) {
  return check(
    [
      snap('erp-a', { packages: { pacemaker: '2.1.6-1' }, sysctl: { 'vm.swappiness': '10' } }),
      snap('erp-b', { packages: { pacemaker: '2.1.6-1' }, sysctl: { 'vm.swappiness': '10' } }),
      snap('erp-c', { packages: { pacemaker: pacemakerOnC }, sysctl: { 'vm.swappiness': swappinessOnC } }),
    ],
    { rules: R },
  );
}

describe('evidence in the store', () => {
  it('a stored run gives back each headline with its evidence, as judged (check --stored, history, report)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-evidence-'));
    dirs.push(dir);
    const store = await Store.open(path.join(dir, 'driftd.db'));
    try {
      const pk = (v: string) => debPackages({ openssl: v, 'libssl3:amd64': v });
      const r = check([
        snap('a', { packages: pk('3.0.19-1') }),
        snap('b', { packages: pk('3.0.19-1') }),
        snap('c', { packages: pk('3.0.17-1') }),
      ]);
      expect(r.findings[0]?.evidence).toHaveLength(1);
      const record = await store.saveRun({
        cluster: 'erp',
        startedAt: '2026-11-26T08:00:00.000Z',
        finishedAt: '2026-11-26T08:00:00.000Z',
        snapshots: [],
        report: r,
      });
      const back = await store.reportOf(record.id);
      expect(back?.findings).toEqual(r.findings);
      // Episodes follow headlines only: the evidence is no episode of its own.
      expect((await store.findingEpisodes({ cluster: 'erp' })).map((e) => e.key)).toEqual(['openssl']);
    } finally {
      await store.close();
    }
  });
});

describe('findingLogLines', () => {
  it('logs each finding once when it opens (critical as error, warning as warn) and once when it resolves', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-findlog-'));
    dirs.push(dir);
    const store = await Store.open(path.join(dir, 'driftd.db'));
    try {
      const runs = [report('2.1.5-1', '10'), report('2.1.5-1', '60'), report('2.1.5-1', '60'), report('2.1.6-1', '60')];
      const logged: ReturnType<typeof findingLogLines>[] = [];
      for (const [i, r] of runs.entries()) {
        const startedAt = `2026-11-26T08:0${i}:00.000Z`;
        const record = await store.saveRun({ cluster: 'erp', startedAt, finishedAt: startedAt, snapshots: [], report: r });
        logged.push(findingLogLines(r, await store.findingEpisodes({ cluster: 'erp', since: startedAt }), record.id));
      }
      const summary = (lines: ReturnType<typeof findingLogLines>) =>
        lines.slice(1).map((l) => `${l.level} ${String(l.fields.change)} ${String(l.fields.key)}`);
      // Run 1: the pacemaker drift opens (critical -> error).
      expect(summary(logged[0] ?? [])).toEqual(['error opened pacemaker']);
      expect(logged[0]?.[0]?.message).toBe('cluster NOT ready: 1 finding opened, 0 resolved since the previous run');
      // Run 2: swappiness opens (warning -> warn); pacemaker, still open, is not logged again.
      expect(summary(logged[1] ?? [])).toEqual(['warn opened vm.swappiness']);
      // Run 3: nothing changed: only the one-line verdict.
      expect(logged[2]).toHaveLength(1);
      expect(logged[2]?.[0]).toMatchObject({ level: 'info', fields: { opened: 0, resolved: 0, critical: 1, warning: 1 } });
      // Run 4: pacemaker is fixed: resolved, at info.
      expect(summary(logged[3] ?? [])).toEqual(['info resolved pacemaker']);
      expect(logged[3]?.[1]?.message).toBe('finding resolved: pacemaker: erp-c has 2.1.5-1 (majority has 2.1.6-1)');
    } finally {
      await store.close();
    }
  });

  it('a waived finding opens at info: known, not an alarm', () => {
    const waived = rules(
      '  - name: stack',
      '    match: { facet: packages, key: pacemaker }',
      '    severity: critical',
      '    waivers: [{ justification: CHG-1, author: alice, expires: 2030-01-01 }]',
    );
    const r = check(
      [
        snap('a', { packages: { pacemaker: '1' } }),
        snap('b', { packages: { pacemaker: '1' } }),
        snap('c', { packages: { pacemaker: '2' } }),
      ],
      { rules: waived },
    );
    const f = r.findings[0];
    if (!f) throw new Error('no finding');
    const episode = {
      episodeId: 1,
      findingId: f.id,
      cluster: 'erp',
      facet: f.facet,
      key: f.key,
      kind: f.kind,
      severity: f.severity,
      rule: f.rule,
      message: f.message,
      firstSeen: 'x',
      lastSeen: 'x',
      resolvedAt: null,
      firstRunId: 7,
      lastRunId: 7,
      resolvedRunId: null,
      valuesOpen: f.values,
      valuesLast: f.values,
      valuesClose: null,
      waived: true,
      waiver: null,
    };
    expect(findingLogLines(r, [episode], 7)[1]).toMatchObject({ level: 'info', fields: { waived: true, change: 'opened' } });
  });
});
