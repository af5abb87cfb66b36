/** The shipped Grafana dashboard: valid JSON, only real driftd metrics, PromQL that parses. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_PROMTOOL, promtool } from '../metrics/promtool.js';
import { driftdMetricNames, exposedFamilies } from './metric-names.js';

const DASHBOARD_PATH = join(import.meta.dirname, '../../deploy/grafana/driftd-dashboard.json');

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string }> };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');
const targets = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, ...target })));

const work = mkdtempSync(join(tmpdir(), 'driftd-grafana-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('driftd-dashboard.json', () => {
  it('is a dashboard with a stable uid, a data source and a cluster variable', () => {
    expect(dashboard.uid).toBe('driftd-overview');
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual(['datasource', 'cluster']);
    expect(queryPanels.length).toBeGreaterThan(10);
  });

  it('gives every panel a unique id and every query panel a target on the chosen data source', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of queryPanels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
  });

  it('uses only metric names that driftd exposes', async () => {
    const exposed = await exposedFamilies();
    const used = driftdMetricNames(targets.map((target) => target.expr).join('\n'));
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it.skipIf(!HAVE_PROMTOOL)('has PromQL that parses (each query checked by promtool as a recording rule)', () => {
    const rules = targets.map((target, index) => ({
      record: `dashboard:query_${index}`,
      // Grafana fills the variable before Prometheus sees the query.
      expr: target.expr.replaceAll('$cluster', '.*'),
    }));
    const file = join(work, 'dashboard-queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const result = promtool(['check', 'rules', file]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
