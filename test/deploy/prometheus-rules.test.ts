/** The shipped alert rules, their unit tests and the scrape example, run through the real promtool. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_PROMTOOL, promtool } from '../metrics/promtool.js';
import { driftdMetricNames, exposedFamilies } from './metric-names.js';

const DIR = join(import.meta.dirname, '../../deploy/prometheus');
const RULES = join(DIR, 'driftd-alerts.yml');
const RULE_TESTS = join(DIR, 'driftd-alerts.test.yml');
const SCRAPE = join(DIR, 'scrape-config.example.yml');

const AlertRules = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string().optional(),
          labels: z.object({ severity: z.enum(['critical', 'warning', 'info']) }),
          annotations: z.strictObject({ summary: z.string().min(1), description: z.string().min(1), runbook_url: z.url() }),
        }),
      ),
    }),
  ),
});

const RuleTests = z.object({
  tests: z.array(
    z.object({
      alert_rule_test: z.array(z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()) })),
    }),
  ),
});

const alerts = AlertRules.parse(parse(readFileSync(RULES, 'utf8'))).groups.flatMap((group) => group.rules);
const cases = RuleTests.parse(parse(readFileSync(RULE_TESTS, 'utf8'))).tests.flatMap((test) => test.alert_rule_test);

const work = mkdtempSync(join(tmpdir(), 'driftd-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('driftd-alerts.yml content', () => {
  it('covers the promised alerts', () => {
    expect(alerts.map((alert) => alert.alert).sort()).toEqual([
      'DriftdAbsent',
      'DriftdClusterNotReady',
      'DriftdConfigReloadFailed',
      'DriftdCriticalDrift',
      'DriftdDown',
      'DriftdDriftUnresolved',
      'DriftdFacetCollectionFailing',
      'DriftdFailoverUnknown',
      'DriftdFailoverUnsafe',
      'DriftdKernelMismatch',
      'DriftdMaintenanceWindowOverrun',
      'DriftdNoRecentSuccessfulRun',
      'DriftdNodeUnreachable',
      'DriftdNodesLeftHalfPatched',
      'DriftdSnapshotStale',
    ]);
  });

  it.each(alerts.map((alert) => [alert.alert, alert] as const))('%s has a firing case and a quiet case in the unit tests', (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(
      mine.some((c) => c.exp_alerts.length > 0),
      'a case where it fires',
    ).toBe(true);
    expect(
      mine.some((c) => c.exp_alerts.length === 0),
      'a case where it stays quiet',
    ).toBe(true);
  });

  it('links each alert to its own section of the runbook (runbook_url, as Prometheus users expect)', () => {
    const runbook = readFileSync(join(import.meta.dirname, '../../docs/alerts.md'), 'utf8');
    const sections = [...runbook.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(alerts.map((alert) => alert.alert).sort());
    for (const alert of alerts) {
      expect(alert.annotations.runbook_url).toBe(`https://github.com/driftd/driftd/blob/main/docs/alerts.md#${alert.alert.toLowerCase()}`);
    }
  });

  it('only queries metrics driftd exposes', async () => {
    const exposed = await exposedFamilies();
    const used = driftdMetricNames(alerts.map((alert) => alert.expr).join('\n'));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe.skipIf(!HAVE_PROMTOOL)('promtool (real)', () => {
  it('check rules: clean', () => {
    const result = promtool(['check', 'rules', RULES]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: 15 rules found/);
    expect(result.output).not.toMatch(/WARNING|FAILED/i);
  });

  it('test rules: every case passes', () => {
    const result = promtool(['test', 'rules', RULE_TESTS]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });

  it('test rules is a real check: a wrong threshold fails the unit tests', () => {
    const broken = readFileSync(RULES, 'utf8').replace(
      'driftd_node_last_snapshot_timestamp_seconds > 7200',
      'driftd_node_last_snapshot_timestamp_seconds > 72000',
    );
    expect(broken).not.toBe(readFileSync(RULES, 'utf8'));
    writeFileSync(join(work, 'driftd-alerts.yml'), broken);
    // Only the scenario that tests staleness, to keep this fast.
    const suite = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> };
    suite.tests = suite.tests.filter((test) => test.alert_rule_test.some((c) => c.alertname === 'DriftdSnapshotStale'));
    expect(suite.tests).toHaveLength(1);
    writeFileSync(join(work, 'driftd-alerts.test.yml'), stringify(suite));
    const result = promtool(['test', 'rules', join(work, 'driftd-alerts.test.yml')]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/alertname: DriftdSnapshotStale/);
  });

  it('check config: the scrape example is a valid Prometheus config with the rules', () => {
    const dir = mkdtempSync(join(work, 'config-'));
    copyFileSync(SCRAPE, join(dir, 'prometheus.yml'));
    copyFileSync(RULES, join(dir, 'driftd-alerts.yml'));
    const result = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: 15 rules found/);
  });
});

if (!HAVE_PROMTOOL) {
  describe('promtool', () => {
    it.skip('SKIPPED: /usr/bin/promtool missing (apt-get install prometheus)', () => undefined);
  });
}
