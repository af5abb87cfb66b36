/**
 * The human side of `driftd check`: written for an on-call engineer at 3 a.m. One
 * headline per problem, what differs, on which nodes, what to do; lines fit 120 columns,
 * hashes are shortened. `verbose` adds every detail (values per node, the diff, rule,
 * source, the attached evidence); the JSON has all of it anyway.
 *
 * Node-supplied text (values, messages that quote them, diffs) is escaped before any
 * colour is added, so a node cannot write terminal control sequences through driftd.
 */
import type { CheckReport, NodeReport } from '../check-report.js';
import { SEVERITIES, type Severity } from '../findings.js';
import { renderFailoverStatuses } from '../simulate/render.js';
import { escapeControl, escapeControlLines } from '../text/terminal.js';

type ReportedFinding = CheckReport['findings'][number];
type Evidence = NonNullable<ReportedFinding['evidence']>[number];

export interface RenderOptions {
  /** Every detail: per-node values, diffs, source, evidence. */
  verbose?: boolean;
  /** ANSI colour (the CLI decides: a TTY, no NO_COLOR, or --color). */
  color?: boolean;
  /** Columns to fit; 120 by default. */
  width?: number;
}

/** Long file diffs stay in the JSON; the terminal gets their start. */
const MAX_DIFF_LINES = 40;
const DEFAULT_WIDTH = 120;

type Style = Severity | 'ok' | 'bad' | 'dim' | 'bold';
const ANSI: Record<Style, string> = { critical: '31;1', warning: '33;1', info: '36', ok: '32;1', bad: '31;1', dim: '2', bold: '1' };

export function renderCheckText(report: CheckReport, options: RenderOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const paint = (style: Style, text: string): string => (options.color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
  const out: string[] = [];
  const s = report.summary;
  const cluster = escapeControl(report.cluster);
  const verdict = report.ready ? paint('ok', 'READY') : paint('bad', 'NOT READY');
  out.push(
    `${cluster}: ${verdict} for failover (score ${report.score.toFixed(2)}) - ${s.critical} critical, ${s.warning} warning, ${s.info} info, ${s.waived} waived`,
  );
  out.push(`checked ${report.checkedAt}`);
  if (report.baseline)
    out.push(`baseline node: ${escapeControl(report.baseline)} (outliers are the nodes that differ from it, where no rule says otherwise)`);

  out.push('', 'Nodes as failover targets:');
  const nameWidth = Math.max(...report.nodes.map((n) => n.name.length), 4);
  for (const node of report.nodes) out.push(...renderNode(node, nameWidth, width, options, paint));
  out.push(...renderFailoverStatuses(report.failover ?? [], (reason) => wrap(reason, width, '        ', '      - ')));

  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => !f.waived && f.severity === severity);
    if (group.length === 0) continue;
    out.push('', paint(severity, `${severity.toUpperCase()} (${group.length})`));
    for (const f of group) out.push(...renderFinding(f, width, options, paint));
  }
  const waived = report.findings.filter((f) => f.waived);
  if (waived.length > 0) {
    out.push('', `WAIVED (${waived.length})`);
    for (const f of waived) {
      out.push(...wrap(`- ${text(f.message)}`, width, '    ', '  '));
      if (f.waiver) {
        out.push(
          ...wrap(
            `waived by ${text(f.waiver.author)} until ${text(f.waiver.expires)} (rule ${text(f.waiver.rule)}): ${text(f.waiver.justification)}`,
            width,
            '        ',
            '      ',
          ),
        );
      }
    }
  }
  if (report.findings.length === 0) out.push('', 'No drift: every node agrees on everything driftd compares.');

  const todo = whatToDo(report);
  if (todo.length > 0) out.push('', 'What to do:', ...todo.flatMap((t) => wrap(`- ${t}`, width, '    ', '  ')));
  return `${out.join('\n')}\n`;
}

type Paint = (style: Style, text: string) => string;

function renderNode(node: NodeReport, nameWidth: number, width: number, options: RenderOptions, paint: Paint): string[] {
  const state = !node.reachable ? 'UNREACHABLE' : node.ready ? 'READY' : 'NOT READY';
  const shown = paint(node.ready ? 'ok' : 'bad', state.padEnd(11));
  const lines = [
    `  ${escapeControl(node.name).padEnd(nameWidth)}  ${shown}  ${node.score.toFixed(2)}  snapshot ${node.snapshotAt ?? 'none'}`,
  ];
  if (node.error) lines.push(...wrap(`error: ${text(node.error)}`, width, '        ', '      '));
  const degraded = Object.entries(node.facets).filter(([, status]) => status === 'error' || status === 'truncated');
  if (degraded.length > 0) lines.push(`      facets not fully read: ${degraded.map(([f, st]) => `${f} (${st})`).join(', ')}`);
  const counted = node.contributions.filter((c) => c.effect !== 'zero');
  if (options.verbose) {
    for (const c of counted) lines.push(...wrap(`${c.effect.padEnd(9)} ${text(c.message)}`, width, '                ', '      '));
  } else if (counted.length > 0) {
    const notReady = counted.filter((c) => c.effect === 'not-ready').length;
    const deducted = counted.length - notReady;
    const parts = [
      notReady > 0 ? `${notReady} finding${notReady === 1 ? '' : 's'} block${notReady === 1 ? 's' : ''} it` : '',
      deducted > 0 ? `${deducted} lower${deducted === 1 ? 's' : ''} its score` : '',
    ];
    lines.push(`      ${parts.filter(Boolean).join(', ')} (see below; --verbose lists them per node)`);
  }
  return lines;
}

function renderFinding(f: ReportedFinding, width: number, options: RenderOptions, paint: Paint): string[] {
  // Wrapped as plain text, then the kind painted: colour codes take no columns.
  const lines = wrap(`- [${f.kind}] ${text(f.message)}`, width, '      ', '  ');
  lines[0] = (lines[0] ?? '').replace(`[${f.kind}]`, paint(f.severity, `[${f.kind}]`));
  lines.push(...renderValues(f, width, options));
  const related = f.evidence?.length ?? 0;
  const relatedText = related > 0 ? `  +${related} related finding${related === 1 ? '' : 's'}${options.verbose ? '' : ' (--verbose)'}` : '';
  lines.push(paint('dim', `      ${text(f.facet)}/${text(f.key)}  rule: ${text(f.rule ?? '(default)')}  id: ${f.id}${relatedText}`));
  if (f.remediation) lines.push(...wrap(`fix: ${text(f.remediation)}`, width, '           ', '      '));
  if (options.verbose && f.source) lines.push(...wrap(`source: ${text(f.source)}`, width, '              ', '      '));
  if (f.detail?.diff) {
    if (options.verbose) lines.push(...renderDiff(f.detail.diff, width));
    else
      lines.push(`      diff: ${f.detail.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l)).length} changed lines (--verbose or --json)`);
  }
  if (options.verbose) {
    for (const e of f.evidence ?? []) lines.push(...renderEvidence(e, width));
  }
  return lines;
}

function renderValues(f: ReportedFinding | Evidence, width: number, options: RenderOptions): string[] {
  const lines: string[] = [];
  const runtime = f.detail?.runtime;
  if (runtime) {
    const w = Math.max(...Object.keys(runtime).map((n) => n.length));
    for (const [node, d] of Object.entries(runtime)) {
      const disk = d.configured === null ? '(not set)' : shortValue(d.configured);
      const line = `      ${text(node).padEnd(w)}  running ${d.running === null ? '(absent)' : shortValue(d.running)}, on disk ${disk}${d.source ? ` (${text(d.source)})` : ''}`;
      lines.push(fit(line, width));
    }
    return lines;
  }
  const values = Object.entries(f.values);
  if (values.length === 0 || f.kind === 'unreachable') return lines;
  const outliers = new Set(f.outliers);
  if (options.verbose) {
    const w = Math.max(...values.map(([n]) => n.length));
    for (const [node, value] of values) {
      lines.push(
        fit(
          `      ${text(node).padEnd(w)}  ${value === null ? '(absent)' : shortValue(value)}${outliers.has(node) ? '  <- outlier' : ''}`,
          width,
        ),
      );
    }
    return lines;
  }
  // Nodes grouped by value: one line per distinct value, however many nodes.
  const byValue = new Map<string | null, string[]>();
  for (const [node, value] of values) byValue.set(value, [...(byValue.get(value) ?? []), node]);
  for (const [value, nodes] of byValue) {
    const mark = nodes.some((n) => outliers.has(n)) ? '  <- outlier' : '';
    const names = fit(nodes.map(text).join(', '), Math.floor(width / 2));
    lines.push(fit(`      ${names}  ${value === null ? '(absent)' : shortValue(value)}${mark}`, width));
  }
  return lines;
}

function renderDiff(diff: string, width: number): string[] {
  const diffLines = escapeControlLines(diff).trimEnd().split('\n');
  const lines = diffLines.slice(0, MAX_DIFF_LINES).map((l) => fit(`        ${l}`, width));
  if (diffLines.length > MAX_DIFF_LINES)
    lines.push(`        ... ${diffLines.length - MAX_DIFF_LINES} more lines (see --json or driftd diff)`);
  return lines;
}

function renderEvidence(e: Evidence, width: number): string[] {
  const lines = wrap(`  also: [${e.kind}, ${e.severity}] ${text(e.message)}`, width, '              ', '      ');
  lines.push(`              ${text(e.facet)}/${text(e.key)}  id: ${e.id}`);
  if (e.detail?.diff) lines.push(...renderDiff(e.detail.diff, width));
  return lines;
}

/** Node-supplied text made safe for a terminal, with sha256 digests shortened to 12 hex digits. */
function text(value: string): string {
  return escapeControl(shortHashes(value));
}

export function shortHashes(value: string): string {
  return value.replace(/\b(sha256[:=])([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1$2');
}

function shortValue(value: string): string {
  const flat = text(value.replace(/\s+/g, ' '));
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

/** One line cut to the width (values, diff lines): the rest is in --json. */
function fit(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** Word-wrap to the width; the first line gets `first` as indent, the others `rest`. */
export function wrap(line: string, width: number, rest: string, first = ''): string[] {
  const words = line.split(' ');
  const out: string[] = [];
  let current = first;
  let empty = true;
  for (const word of words) {
    const candidate = empty ? `${current}${word}` : `${current} ${word}`;
    if (!empty && candidate.length > width) {
      out.push(current);
      current = `${rest}${word}`;
    } else current = candidate;
    empty = false;
  }
  out.push(current);
  return out.map((l) => fit(l, width));
}

/** Nodes that hold a value the finding's rule (or the majority) accepts. */
function compliantNode(f: ReportedFinding): string | undefined {
  const outliers = new Set(f.outliers);
  return Object.keys(f.values).find((n) => !outliers.has(n));
}

function whatToDo(report: CheckReport): string[] {
  const todo: string[] = [];
  const active = report.findings.filter((f) => !f.waived);
  for (const node of report.nodes) {
    if (!node.reachable)
      todo.push(`${escapeControl(node.name)} is unreachable: check SSH reachability and credentials, then \`driftd collect\` again.`);
  }
  if (active.some((f) => f.kind === 'stale'))
    todo.push("Some snapshots are stale: run `driftd collect` (is the daemon's schedule running?).");
  if (active.some((f) => f.kind === 'precondition')) {
    todo.push(
      'Fix the preconditions first (missing packages and agents, DRBD versions, pending reboots): a failover can fail outright on them.',
    );
  }
  if (active.some((f) => f.kind === 'failover' || (f.evidence ?? []).some((e) => e.kind === 'failover'))) {
    todo.push(
      "Failover findings: Pacemaker's scheduler, run on the collected CIB, says a node's failure would not be survived. Fix the node each one names before taking any node down; `driftd simulate --fail NODE` shows every move.",
    );
  }
  if (active.some((f) => f.kind === 'identity')) {
    todo.push(
      'Identity findings: nodes share what must tell them apart (machine-id, host keys, addresses, node ids); a cloned node is the usual cause. Give each node its own before any failover.',
    );
  }
  if (active.some((f) => f.kind === 'runtime')) {
    todo.push(
      'Runtime findings: a node runs settings its own files would change on the next restart or reboot; make the files and the running state agree before the window.',
    );
  }
  const reachable = report.nodes.filter((n) => n.reachable).length;
  const cluster = active.filter(
    (f) =>
      f.kind !== 'unreachable' && f.kind !== 'stale' && f.kind !== 'identity' && f.outliers.length > 1 && f.outliers.length === reachable,
  );
  if (cluster.length > 0) {
    todo.push(
      `${cluster.length} finding${cluster.length === 1 ? ' holds' : 's hold'} on every node alike (best practices): fix the cluster configuration once, see each finding's fix and source.`,
    );
  }
  // Who to fix: each critical headline names its nodes (the rule's violators, the
  // baseline's or the majority's outliers), so the count per node says where to start.
  const critical = active.filter(
    (f) => f.severity === 'critical' && f.kind !== 'unreachable' && f.kind !== 'stale' && compliantNode(f) !== undefined,
  );
  const perNode = new Map<string, number>();
  for (const f of critical) for (const n of f.outliers) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  if (perNode.size > 0) {
    const list = [...perNode]
      .sort((a, b) => b[1] - a[1])
      .map(([n, c]) => `${escapeControl(n)} (${c})`)
      .join(', ');
    todo.push(
      `Fix the nodes each critical finding names: ${list}; each says what to set, or waive it in a rule pack with a justification and an expiry.`,
    );
  }
  // An offending node against a compliant one, for the first problem that has both.
  const pick = [...critical, ...active].find((f) => f.outliers.length > 0 && compliantNode(f) !== undefined && f.kind !== 'unreachable');
  const good = pick ? compliantNode(pick) : undefined;
  const bad = pick?.outliers[0];
  if (pick && good && bad)
    todo.push(
      `See ${escapeControl(bad)} against ${escapeControl(good)} side by side: \`driftd diff ${escapeControl(bad)} ${escapeControl(good)}\`.`,
    );
  if (active.length > 0)
    todo.push('Why a finding has its severity: `driftd rules explain <facet> <key>`; every detail: `driftd check --verbose` or `--json`.');
  return todo;
}
