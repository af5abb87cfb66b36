/**
 * What the daemon logs about findings after each run: what changed since the previous
 * run, not every open finding again. A finding opened is logged at its severity's level
 * (critical -> error, warning -> warn, info -> info, so `journalctl -p warning` shows
 * the warnings and criticals that appeared); a finding resolved is logged at info.
 * Waived findings and an open window's expected changes are opened at info: they are
 * known, not alarms. Pure: the daemon passes the run's report and the store's episodes.
 */
import type { CheckReport } from '../core/check-report.js';
import type { FindingEpisode } from '../store/index.js';

type ReportedFinding = CheckReport['findings'][number];

export type LogLevel = 'error' | 'warn' | 'info';

export interface FindingLogLine {
  level: LogLevel;
  fields: Record<string, unknown>;
  message: string;
}

/**
 * `episodes` are the cluster's episodes touching this run (open, or resolved at or after
 * its start): the ones first seen in `runId` were opened by it, those resolved in it closed.
 */
export function findingLogLines(report: CheckReport, episodes: readonly FindingEpisode[], runId: number): FindingLogLine[] {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const opened = episodes.filter((e) => e.firstRunId === runId && e.resolvedRunId === null);
  const resolved = episodes.filter((e) => e.resolvedRunId === runId);
  const lines: FindingLogLine[] = [
    {
      level: 'info',
      fields: {
        cluster: report.cluster,
        ready: report.ready,
        score: report.score,
        ...report.summary,
        opened: opened.length,
        resolved: resolved.length,
      },
      message: `${report.ready ? 'cluster ready' : 'cluster NOT ready'}: ${opened.length} finding${opened.length === 1 ? '' : 's'} opened, ${resolved.length} resolved since the previous run`,
    },
  ];
  for (const e of opened) {
    const f = byId.get(e.findingId);
    if (!f) continue;
    lines.push({ level: levelOf(f), fields: { ...fieldsOf(f), change: 'opened' }, message: `finding opened: ${f.message}` });
  }
  for (const e of resolved) {
    lines.push({
      level: 'info',
      fields: {
        cluster: e.cluster,
        id: e.findingId,
        severity: e.severity,
        kind: e.kind,
        facet: e.facet,
        key: e.key,
        change: 'resolved',
        firstSeen: e.firstSeen,
      },
      message: `finding resolved: ${e.message}`,
    });
  }
  return lines;
}

function levelOf(f: ReportedFinding): LogLevel {
  if (f.waived || f.expected === true || f.severity === 'info') return 'info';
  return f.severity === 'critical' ? 'error' : 'warn';
}

function fieldsOf(f: ReportedFinding): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    cluster: f.cluster,
    id: f.id,
    severity: f.severity,
    kind: f.kind,
    facet: f.facet,
    key: f.key,
    outliers: f.outliers,
  };
  if (f.waived) fields.waived = true;
  if (f.expected === true) fields.expected = true;
  if (f.evidence && f.evidence.length > 0) fields.evidence = f.evidence.length;
  return fields;
}
