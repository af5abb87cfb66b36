/** The human side of `driftd check`: written for an on-call engineer at 3 a.m. */
import type { CheckReport, NodeReport } from '../check-report.js';
import { SEVERITIES } from '../findings.js';

type ReportedFinding = CheckReport['findings'][number];

/** Long file diffs stay in the JSON; the terminal gets their start. */
const MAX_DIFF_LINES = 40;

export function renderCheckText(report: CheckReport): string {
  const out: string[] = [];
  const s = report.summary;
  out.push(
    `${report.cluster}: ${report.ready ? 'READY' : 'NOT READY'} for failover (score ${report.score.toFixed(2)}) - ` +
      `${s.critical} critical, ${s.warning} warning, ${s.info} info, ${s.waived} waived; checked ${report.checkedAt}`,
  );
  if (report.baseline) out.push(`baseline node: ${report.baseline} (outliers are the nodes that differ from it)`);

  out.push('', 'Nodes as failover targets:');
  const width = Math.max(...report.nodes.map((n) => n.name.length), 4);
  for (const node of report.nodes) out.push(...renderNode(node, width));

  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => !f.waived && f.severity === severity);
    if (group.length === 0) continue;
    out.push('', `${severity.toUpperCase()} (${group.length})`);
    for (const f of group) out.push(...renderFinding(f));
  }
  const waived = report.findings.filter((f) => f.waived);
  if (waived.length > 0) {
    out.push('', `WAIVED (${waived.length})`);
    for (const f of waived) {
      out.push(`  - ${f.message}`);
      if (f.waiver) out.push(`      waived by ${f.waiver.author} until ${f.waiver.expires} (rule ${f.waiver.rule}): ${f.waiver.justification}`);
    }
  }
  if (report.findings.length === 0) out.push('', 'No drift: every node agrees on everything driftd compares.');

  const todo = whatToDo(report);
  if (todo.length > 0) out.push('', 'What to do:', ...todo.map((t) => `  - ${t}`));
  return `${out.join('\n')}\n`;
}

function renderNode(node: NodeReport, width: number): string[] {
  const state = !node.reachable ? 'UNREACHABLE' : node.ready ? 'READY' : 'NOT READY';
  const lines = [`  ${node.name.padEnd(width)}  ${state.padEnd(11)}  ${node.score.toFixed(2)}  snapshot ${node.snapshotAt ?? 'none'}`];
  if (node.error) lines.push(`      error: ${node.error}`);
  const degraded = Object.entries(node.facets).filter(([, status]) => status === 'error' || status === 'truncated');
  if (degraded.length > 0) lines.push(`      facets not fully read: ${degraded.map(([f, st]) => `${f} (${st})`).join(', ')}`);
  for (const c of node.contributions) if (c.effect !== 'zero') lines.push(`      ${c.effect.padEnd(9)} ${c.message}`);
  return lines;
}

function renderFinding(f: ReportedFinding): string[] {
  const lines = [`  - [${f.kind}] ${f.message}`];
  const values = Object.entries(f.values);
  const runtime = f.detail?.runtime;
  if (runtime) {
    const w = Math.max(...Object.keys(runtime).map((n) => n.length));
    for (const [node, d] of Object.entries(runtime)) {
      const disk = d.configured === null ? '(not set)' : oneLine(d.configured);
      lines.push(`      ${node.padEnd(w)}  running ${d.running === null ? '(absent)' : oneLine(d.running)}, on disk ${disk}${d.source ? ` (${d.source})` : ''}`);
    }
  } else if (values.length > 0 && f.kind !== 'unreachable') {
    const w = Math.max(...values.map(([n]) => n.length));
    for (const [node, value] of values) {
      const mark = f.outliers.includes(node) ? '  <- outlier' : '';
      lines.push(`      ${node.padEnd(w)}  ${value === null ? '(absent)' : oneLine(value)}${mark}`);
    }
  }
  lines.push(`      ${f.facet}/${f.key}  rule: ${f.rule ?? '(default)'}  id: ${f.id}`);
  if (f.remediation) lines.push(`      fix: ${f.remediation}`);
  if (f.source) lines.push(`      source: ${f.source}`);
  if (f.detail?.diff) {
    const diffLines = f.detail.diff.trimEnd().split('\n');
    lines.push(...diffLines.slice(0, MAX_DIFF_LINES).map((l) => `        ${l}`));
    if (diffLines.length > MAX_DIFF_LINES) lines.push(`        ... ${diffLines.length - MAX_DIFF_LINES} more lines (see --json or driftd diff)`);
  }
  return lines;
}

function oneLine(value: string): string {
  const flat = value.replace(/\s+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

function whatToDo(report: CheckReport): string[] {
  const todo: string[] = [];
  const active = report.findings.filter((f) => !f.waived);
  for (const node of report.nodes) {
    if (!node.reachable) todo.push(`${node.name} is unreachable: check SSH reachability and credentials, then \`driftd collect\` again.`);
  }
  if (active.some((f) => f.kind === 'stale')) todo.push('Some snapshots are stale: run `driftd collect` (is the daemon\'s schedule running?).');
  if (active.some((f) => f.kind === 'precondition')) {
    todo.push('Fix the preconditions first (missing agents, DRBD versions, pending reboots): a failover can fail outright on them.');
  }
  if (active.some((f) => f.kind === 'runtime')) {
    todo.push('Runtime findings: a node runs settings its own files would change on the next restart or reboot; make the files and the running state agree before the window.');
  }
  if (active.some((f) => f.kind === 'practice')) {
    todo.push('Best-practice findings hold on every node that shares the configuration: fix the cluster configuration once (see each finding\'s fix and source).');
  }
  const outliers = [...new Set(active.filter((f) => f.severity === 'critical' && f.kind !== 'unreachable').flatMap((f) => f.outliers))];
  if (outliers.length > 0) {
    todo.push(`Align ${outliers.join(', ')} with ${report.baseline ? `the baseline ${report.baseline}` : 'the majority'} for the critical findings above, or waive them in a rule pack with a justification and an expiry.`);
  }
  const nodes = report.nodes.filter((n) => n.reachable).map((n) => n.name);
  if (active.length > 0 && nodes.length >= 2) todo.push(`See every difference side by side: \`driftd diff ${nodes[0]} ${nodes[1]}\`.`);
  if (active.length > 0) todo.push('Why a finding has its severity: `driftd rules explain <facet> <key>`.');
  return todo;
}
