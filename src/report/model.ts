/**
 * The audit report model: a pure function from what the store and config hold to the
 * facts an auditor reads. No I/O and no clock (generatedAt comes in), so the same input
 * always gives the same report and every renderer shows the same figures.
 */
import type { CheckReport } from '../core/check-report.js';
import { waiverEndMs } from '../core/engine/rules/compile.js';
import type { RulePack } from '../core/engine/rules/schema.js';
import { SEVERITIES, type Severity } from '../core/findings.js';
import { canonicalJson, facetHashes, sha256Hex, snapshotContentHash, type NodeSnapshot } from '../core/snapshot.js';
import type { ChainVerdict, FindingEpisode, NodeChange, ReadinessPoint, RunRecord } from '../store/index.js';
import {
  AUDIT_REPORT_SCHEMA_ID,
  type AuditEpisode,
  type AuditReport,
  type NotReadyInterval,
  type ParityCell,
  type ParityRow,
  type SeverityCounts,
  type WaiverInForce,
} from './schema.js';

export interface ReportClusterInput {
  name: string;
  baseline: string | null;
  facets: readonly AuditReport['cluster']['facets'][number][];
  nodes: readonly { name: string; transport: string; host?: string | undefined; role?: string | undefined }[];
}

export interface AuditReportInput {
  generatedAt: string;
  driftdVersion: string;
  commandLine: string;
  cluster: ReportClusterInput;
  period: { since: string; until: string };
  packs: readonly RulePack[];
  ruleErrors: readonly string[];
  /** Runs of the cluster in the period, oldest first. */
  runs: readonly RunRecord[];
  /** The latest run in the period with its recorded verdict and snapshots. */
  latest: { run: RunRecord; report: CheckReport; snapshots: readonly NodeSnapshot[] } | null;
  readiness: readonly ReadinessPoint[];
  episodes: readonly FindingEpisode[];
  changes: readonly NodeChange[];
  chain: ChainVerdict;
}

export function buildAuditReport(input: AuditReportInput): AuditReport {
  const periodEndMs = Math.min(Date.parse(input.period.until), Date.parse(input.generatedAt));
  const episodes = input.episodes.map((e) => toAuditEpisode(e, periodEndMs));
  const episodesBySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const e of episodes) {
    if (isSeverity(e.severity)) episodesBySeverity[e.severity] += 1;
  }
  const latest = input.latest;
  const snapshots = latest ? [...latest.snapshots].sort((a, b) => compare(a.node, b.node)) : [];
  const snapshotEvidence = snapshots.map((s) => ({
    node: s.node,
    takenAt: s.takenAt,
    error: s.error ?? null,
    contentHash: snapshotContentHash(s),
    facets: facetHashes(s),
  }));
  return {
    schema: AUDIT_REPORT_SCHEMA_ID,
    generatedAt: input.generatedAt,
    driftdVersion: input.driftdVersion,
    commandLine: input.commandLine,
    cluster: {
      name: input.cluster.name,
      baseline: input.cluster.baseline,
      facets: [...input.cluster.facets],
      nodes: input.cluster.nodes.map((n) => ({
        name: n.name,
        transport: n.transport,
        host: n.host ?? null,
        role: n.role ?? null,
      })),
    },
    period: { ...input.period },
    summary: {
      runs: input.runs.length,
      readyRuns: input.runs.filter((r) => r.ready).length,
      notReadyRuns: input.runs.filter((r) => !r.ready).length,
      currentlyReady: latest ? latest.run.ready : null,
      currentScore: latest ? latest.run.score : null,
      episodes: episodes.length,
      openEpisodes: episodes.filter((e) => e.status === 'open').length,
      resolvedEpisodes: episodes.filter((e) => e.status === 'resolved').length,
      episodesBySeverity,
      changes: input.changes.length,
    },
    rules: {
      packs: input.packs.map((p) => ({ pack: p.pack, file: p.file ?? null, rules: p.rules.length })),
      waivers: waiversInForce(input.packs, Date.parse(input.generatedAt)),
      errors: [...input.ruleErrors],
    },
    latestRun: latest
      ? {
          id: latest.run.id,
          startedAt: latest.run.startedAt,
          finishedAt: latest.run.finishedAt,
          checkedAt: latest.run.checkedAt,
          ready: latest.run.ready,
          score: latest.run.score,
          nodeCount: latest.run.nodeCount,
          errorCount: latest.run.errorCount,
          hash: latest.run.hash,
          prevHash: latest.run.prevHash,
          snapshotsHash: latest.run.snapshotsHash,
          findingsHash: latest.run.findingsHash,
          reportHash: latest.run.reportHash,
          snapshotsHashMatches: combinedSnapshotsHash(snapshotEvidence.map((s) => s.contentHash)) === latest.run.snapshotsHash,
          thinnedNodes: [...latest.run.thinnedNodes],
        }
      : null,
    parity: latest ? parityMatrix(input.cluster, latest.run.id, latest.report, snapshots) : null,
    readiness: {
      points: input.readiness.map((p) => ({ at: p.at, runId: p.runId, ready: p.ready, score: p.score, nodes: { ...p.nodes } })),
      notReady: notReadyIntervals(input.readiness),
    },
    episodes,
    changes: input.changes.map((c) => ({
      at: c.at,
      runId: c.runId,
      node: c.node,
      facet: c.facet,
      key: c.key,
      change: c.change,
      before: c.before ?? null,
      after: c.after ?? null,
    })),
    evidence: {
      runCount: input.runs.length,
      snapshots: snapshotEvidence,
      chain: input.chain.ok
        ? { ok: true, runsVerified: input.chain.runs, thinnedRuns: input.chain.thinnedRuns, brokenAt: null, reason: null }
        : {
            ok: false,
            runsVerified: input.chain.runs,
            thinnedRuns: input.chain.thinnedRuns,
            brokenAt: input.chain.brokenAt,
            reason: input.chain.reason,
          },
    },
  };
}

function toAuditEpisode(e: FindingEpisode, periodEndMs: number): AuditEpisode {
  const endMs = e.resolvedAt === null ? Math.max(periodEndMs, Date.parse(e.lastSeen)) : Date.parse(e.resolvedAt);
  return {
    episodeId: e.episodeId,
    findingId: e.findingId,
    facet: e.facet,
    key: e.key,
    kind: e.kind,
    severity: e.severity,
    rule: e.rule,
    message: e.message,
    firstSeen: e.firstSeen,
    lastSeen: e.lastSeen,
    resolvedAt: e.resolvedAt,
    status: e.resolvedAt === null ? 'open' : 'resolved',
    durationSeconds: Math.max(0, Math.round((endMs - Date.parse(e.firstSeen)) / 1000)),
    valuesOpen: { ...e.valuesOpen },
    valuesLast: { ...e.valuesLast },
    waived: e.waived,
    waiver: e.waiver ? { ...e.waiver } : null,
  };
}

export function waiversInForce(packs: readonly RulePack[], nowMs: number): WaiverInForce[] {
  return packs.flatMap((pack) =>
    pack.rules.flatMap((rule) =>
      (rule.waivers ?? []).map((w) => ({
        pack: pack.pack,
        packFile: pack.file ?? null,
        rule: rule.name,
        key: w.key ?? null,
        justification: w.justification,
        author: w.author,
        expires: w.expires,
        expired: !(nowMs < waiverEndMs(w.expires)),
      })),
    ),
  );
}

function emptyCounts(): SeverityCounts {
  return { critical: 0, warning: 0, info: 0, waived: 0 };
}

export function parityMatrix(
  cluster: ReportClusterInput,
  runId: number,
  report: CheckReport,
  snapshots: readonly NodeSnapshot[],
): NonNullable<AuditReport['parity']> {
  const facets = [...cluster.facets];
  const byNodeFacet = new Map<string, SeverityCounts>();
  for (const f of report.findings) {
    for (const node of f.outliers) {
      const key = `${node}\0${f.facet}`;
      const counts = byNodeFacet.get(key) ?? emptyCounts();
      if (f.waived) counts.waived += 1;
      else counts[f.severity] += 1;
      byNodeFacet.set(key, counts);
    }
  }
  const snapshotByNode = new Map(snapshots.map((s) => [s.node, s]));
  const names = [...new Set([...cluster.nodes.map((n) => n.name), ...report.nodes.map((n) => n.name)])];
  const rows: ParityRow[] = names.map((node) => {
    const nodeReport = report.nodes.find((n) => n.name === node);
    const snapshot = snapshotByNode.get(node);
    const reachable = nodeReport?.reachable ?? false;
    const cells: ParityCell[] = facets.map((facet) => {
      const drift = byNodeFacet.get(`${node}\0${facet}`) ?? emptyCounts();
      const collected = snapshot?.facets[facet];
      const status = nodeReport?.facets[facet] ?? collected?.status;
      return {
        facet,
        status: cellStatus(reachable, status, drift),
        drift,
        detail: collected?.error ?? null,
      };
    });
    return {
      node,
      reachable,
      ready: nodeReport?.ready ?? false,
      score: nodeReport?.score ?? 0,
      snapshotAt: nodeReport?.snapshotAt ?? snapshot?.takenAt ?? null,
      error: nodeReport?.error ?? snapshot?.error ?? null,
      cells,
    };
  });
  return { runId, facets, rows };
}

function cellStatus(reachable: boolean, status: string | undefined, drift: SeverityCounts): ParityCell['status'] {
  if (!reachable) return 'unreachable';
  const unwaived = drift.critical + drift.warning + drift.info;
  if (status === undefined) return unwaived > 0 ? 'drift' : 'not-collected';
  if (status === 'unsupported') return 'unsupported';
  if (status === 'error') return 'error';
  if (unwaived > 0) return 'drift';
  if (status === 'truncated') return 'truncated';
  return drift.waived > 0 ? 'waived' : 'parity';
}

/** Stretches of consecutive not-ready runs; each ends at the next ready run. */
export function notReadyIntervals(points: readonly ReadinessPoint[]): NotReadyInterval[] {
  const out: NotReadyInterval[] = [];
  let open: NotReadyInterval | null = null;
  for (const p of points) {
    if (!p.ready) {
      if (open) open.runs += 1;
      else open = { from: p.at, to: null, runs: 1 };
    } else if (open) {
      open.to = p.at;
      out.push(open);
      open = null;
    }
  }
  if (open) out.push(open);
  return out;
}

/**
 * The store's snapshots_hash formula (src/store/chain.ts), restated so the model stays
 * free of SQLite; the report tests check it against stored runs.
 */
function combinedSnapshotsHash(contentHashes: readonly string[]): string {
  return sha256Hex(canonicalJson([...contentHashes].sort()));
}

function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `3d 4h`, `2h 05m`, `45s`: durations for people. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
