/**
 * Hand-made snapshots and reports for store tests (not captured output: the store
 * only cares about shapes, hashes and life cycles, not about real package lists).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckReport } from '../../src/core/check-report.js';
import type { Finding } from '../../src/core/findings.js';
import type { FacetSnapshot, NodeSnapshot } from '../../src/core/snapshot.js';
import type { SaveRunInput } from '../../src/store/index.js';

export const CLUSTER = 'erp';

export function packages(entries: Record<string, string>, durationMs = 12): FacetSnapshot {
  return {
    status: 'ok',
    items: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v }])),
    meta: { format: 'deb' },
    durationMs,
  };
}

export function sysctl(entries: Record<string, string>): FacetSnapshot {
  return {
    status: 'ok',
    items: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v }])),
    durationMs: 3,
  };
}

export interface NodeState {
  packages?: Record<string, string>;
  sysctl?: Record<string, string>;
  error?: string;
  /** Replaces the packages facet (e.g. an errored one). */
  packagesFacet?: FacetSnapshot;
}

export function snapshot(node: string, takenAt: string, state: NodeState, durationMs = 12): NodeSnapshot {
  if (state.error !== undefined) return { cluster: CLUSTER, node, takenAt, error: state.error, facets: {} };
  return {
    cluster: CLUSTER,
    node,
    takenAt,
    facets: {
      packages: state.packagesFacet ?? packages(state.packages ?? {}, durationMs),
      sysctl: sysctl(state.sysctl ?? {}),
    },
  };
}

export function finding(id: string, values: Record<string, string | null>, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    cluster: CLUSTER,
    facet: 'packages',
    key: id.split(':').pop() ?? id,
    severity: 'warning',
    rule: null,
    kind: 'mismatch',
    values,
    majority: null,
    outliers: [],
    waived: false,
    message: `${id} differs`,
    ...extra,
  };
}

export function report(at: string, nodes: string[], findings: Finding[], score = 1): CheckReport {
  return {
    cluster: CLUSTER,
    ready: findings.length === 0,
    score,
    checkedAt: at,
    baseline: null,
    nodes: nodes.map((name, i) => ({
      name,
      reachable: true,
      ready: findings.length === 0,
      score: Math.max(0, score - i * 0.1),
      snapshotAt: at,
      facets: { packages: 'ok', sysctl: 'ok' },
      error: null,
      contributions: findings.map((f) => ({ finding: f.id, weight: 0.5, effect: '-0.5', message: f.message })),
    })),
    findings,
    summary: { critical: 0, warning: findings.filter((f) => !f.waived).length, info: 0, waived: findings.filter((f) => f.waived).length },
  };
}

/** A run of nodes at time `at` with the given states and findings. */
export function runInput(at: string, states: Record<string, NodeState>, findings: Finding[] = [], durationMs = 12): SaveRunInput {
  const nodes = Object.keys(states);
  const end = new Date(Date.parse(at) + 4_000).toISOString();
  return {
    cluster: CLUSTER,
    startedAt: at,
    finishedAt: end,
    snapshots: nodes.map((n) => snapshot(n, at, states[n] ?? {}, durationMs)),
    report: report(end, nodes, findings),
  };
}

export const BASE_PACKAGES: Record<string, string> = Object.fromEntries(
  Array.from({ length: 400 }, (_, i) => [`pkg-${String(i).padStart(3, '0')}`, `1.${i}.0-1`]),
);

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'driftd-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function hoursAfter(start: string, hours: number): string {
  return new Date(Date.parse(start) + hours * 3_600_000).toISOString();
}

/** The same run for another cluster (snapshots, report and findings moved over). */
export function inCluster(input: SaveRunInput, cluster: string): SaveRunInput {
  return {
    ...input,
    cluster,
    snapshots: input.snapshots.map((s) => ({ ...s, cluster })),
    report: { ...input.report, cluster, findings: input.report.findings.map((f) => ({ ...f, cluster })) },
  };
}
