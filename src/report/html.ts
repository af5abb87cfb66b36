/**
 * The audit report as one self-contained HTML file: inline CSS and SVG, no script, no
 * font, image or link to fetch (a CSP meta forbids it anyway), readable on screen and
 * printable on as few pages as its content needs (no forced breaks; rows, headings and
 * small sections kept whole). Every value goes through escapeHtml.
 */
import { escapeHtml as e } from './escape.js';
import { formatDuration } from './model.js';
import type { AuditChange, AuditEpisode, AuditReport, ParityCell, SeverityCounts } from './schema.js';
import { readinessChartSvg } from './svg-chart.js';

/** What the page may load: nothing but its own inline styles and data: images. */
export const REPORT_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const VALUE_CLIP = 400;

/** A time as people read it (`2026-11-20 10:00:00Z`), the exact ISO value in `datetime`. */
function t(iso: string): string {
  const shown = iso.replace('T', ' ').replace(/\.000Z$/, 'Z');
  return `<time datetime="${e(iso)}">${e(shown)}</time>`;
}

export function renderAuditHtml(report: AuditReport): string {
  const title = `driftd parity audit: ${report.cluster.name}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(REPORT_HTML_CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="driftd ${e(report.driftdVersion)}">`,
    `<title>${e(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    header(report, title),
    summarySection(report),
    clusterSection(report),
    rulesSection(report),
    paritySection(report),
    readinessSection(report),
    episodesSection(report),
    changesSection(report),
    evidenceSection(report),
    provenanceFooter(report),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(r: AuditReport, title: string): string {
  const verdict =
    r.summary.currentlyReady === null
      ? '<span class="badge neutral">no run in period</span>'
      : r.summary.currentlyReady
        ? '<span class="badge ok">ready at the latest run</span>'
        : '<span class="badge bad">NOT ready at the latest run</span>';
  const chain = r.evidence.chain.ok
    ? '<span class="badge ok">evidence chain intact</span>'
    : '<span class="badge bad">evidence chain BROKEN</span>';
  return `<header>
<h1>${e(title)}</h1>
<p class="period">Period ${t(r.period.since)} to ${t(r.period.until)} · generated ${t(r.generatedAt)} by driftd ${e(r.driftdVersion)}</p>
<p>${verdict} ${chain}</p>
</header>`;
}

function summarySection(r: AuditReport): string {
  const s = r.summary;
  const figures: [string, string, string][] = [
    ['runs', 'Runs in period', String(s.runs)],
    ['ready-runs', 'Runs ready / not ready', `${s.readyRuns} / ${s.notReadyRuns}`],
    ['score', 'Score at latest run', s.currentScore === null ? '-' : s.currentScore.toFixed(2)],
    ['episodes', 'Finding episodes', String(s.episodes)],
    ['open', 'Still open', String(s.openEpisodes)],
    ['resolved', 'Resolved', String(s.resolvedEpisodes)],
    [
      'severity',
      'Critical / warning / info',
      `${s.episodesBySeverity.critical} / ${s.episodesBySeverity.warning} / ${s.episodesBySeverity.info}`,
    ],
    ['changes', 'Node changes', String(s.changes)],
    [
      'chain',
      'Chain verified',
      r.evidence.chain.ok ? `yes (${r.evidence.chain.runsVerified} runs)` : `NO: broken at run ${r.evidence.chain.brokenAt ?? '?'}`,
    ],
  ];
  return `<section id="summary">
<h2>Summary</h2>
<dl class="figures">
${figures.map(([id, label, value]) => `<div data-figure="${e(id)}"><dt>${e(label)}</dt><dd>${e(value)}</dd></div>`).join('\n')}
</dl>
</section>`;
}

function clusterSection(r: AuditReport): string {
  const c = r.cluster;
  const rows = c.nodes.map(
    (n) =>
      `<tr><td>${e(n.name)}${n.name === c.baseline ? ' <span class="tag">baseline</span>' : ''}</td><td>${e(n.transport)}</td><td><code>${e(n.host ?? '-')}</code></td><td>${e(n.role ?? '-')}</td></tr>`,
  );
  return `<section id="cluster">
<h2>Cluster and nodes</h2>
<p>Cluster <strong>${e(c.name)}</strong>, ${c.nodes.length} nodes${c.baseline ? `, compared against the baseline node <strong>${e(c.baseline)}</strong>` : ', compared against the majority'}. Facets collected: ${c.facets.map((f) => `<code>${e(f)}</code>`).join(', ')}.</p>
<table>
<thead><tr><th>Node</th><th>Transport</th><th>Address / path</th><th>Role</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function rulesSection(r: AuditReport): string {
  const packs = r.rules.packs.map((p) => `<tr><td>${e(p.pack)}</td><td>${p.rules}</td><td><code>${e(p.file ?? '-')}</code></td></tr>`);
  const waivers = r.rules.waivers.map(
    (w) =>
      `<tr class="${w.expired ? 'expired' : ''}"><td>${e(w.rule)}<br><small>${e(w.pack)}</small></td><td><code>${e(w.key ?? 'all keys of the rule')}</code></td><td>${e(w.justification)}</td><td>${e(w.author)}</td><td>${e(w.expires)}</td><td>${w.expired ? '<span class="badge bad">expired</span>' : '<span class="badge ok">in force</span>'}</td></tr>`,
  );
  const errors = r.rules.errors.length
    ? `<p class="warn">Rule packs that failed to load (their rules were not applied):</p><ul>${r.rules.errors.map((x) => `<li><code>${e(x)}</code></li>`).join('')}</ul>`
    : '';
  return `<section id="rules">
<h2>Rules and waivers</h2>
${errors}
<h3>Rule packs in load order</h3>
<table>
<thead><tr><th>Pack</th><th>Rules</th><th>File</th></tr></thead>
<tbody>
${packs.join('\n') || '<tr><td colspan="3">none</td></tr>'}
</tbody>
</table>
<h3>Waivers (${r.rules.waivers.length})</h3>
${
  waivers.length
    ? `<table>
<thead><tr><th>Rule</th><th>Keys</th><th>Justification</th><th>Author</th><th>Expires</th><th>State</th></tr></thead>
<tbody>
${waivers.join('\n')}
</tbody>
</table>`
    : '<p>No waiver is configured.</p>'
}
</section>`;
}

function paritySection(r: AuditReport): string {
  const p = r.parity;
  if (!p || !r.latestRun) {
    return '<section id="parity"><h2>Parity matrix</h2><p>No run of this cluster in the period.</p></section>';
  }
  const head = `<tr><th>Node</th>${p.facets.map((f) => `<th>${e(f)}</th>`).join('')}<th>Score</th></tr>`;
  const rows = p.rows.map((row) => {
    // An unreachable node has nothing to show per facet: one cell says so, with the reason.
    const cells = row.reachable
      ? row.cells.map((c) => cell(c)).join('')
      : `<td class="cell unreachable" data-status="unreachable" colspan="${row.cells.length}">unreachable${row.error ? `<br><small>${e(row.error)}</small>` : ''}</td>`;
    return `<tr data-node="${e(row.node)}"><th scope="row">${e(row.node)}</th>${cells}<td class="num ${row.ready ? '' : 'bad-text'}">${row.score.toFixed(2)}${row.ready ? '' : '<br><small>not ready</small>'}</td></tr>`;
  });
  return `<section id="parity">
<h2>Parity matrix, latest run</h2>
<p>Run ${r.latestRun.id}, started ${t(r.latestRun.startedAt)}: ${r.latestRun.ready ? 'ready' : '<strong>not ready</strong>'}, cluster score ${r.latestRun.score.toFixed(2)}. A cell counts the findings naming the node as an outlier, by severity (C critical, W warning, I info).</p>
<div class="scroll"><table class="matrix">
<thead>${head}</thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
<p class="legend"><span class="cell parity">at parity</span> <span class="cell drift-warning">drift (warning)</span> <span class="cell drift-critical">drift (critical)</span> <span class="cell waived">waived only</span> <span class="cell unsupported">unsupported</span> <span class="cell error">error / truncated</span> <span class="cell unreachable">unreachable / not collected</span></p>
</section>`;
}

function cell(c: ParityCell): string {
  const counts = countsText(c.drift);
  const tip = c.detail ? ` title="${e(c.detail)}"` : '';
  switch (c.status) {
    case 'parity':
      return `<td class="cell parity" data-status="parity"${tip}>ok</td>`;
    case 'drift':
      return `<td class="cell ${c.drift.critical > 0 ? 'drift-critical' : 'drift-warning'}" data-status="drift"${tip}>${e(counts)}</td>`;
    case 'waived':
      return `<td class="cell waived" data-status="waived"${tip}>ok<br><small>${c.drift.waived} waived</small></td>`;
    default: {
      // Why a facet could not be read belongs on paper too, not only in a hover title.
      const why = (c.status === 'error' || c.status === 'truncated') && c.detail ? `<br><small>${e(clip(c.detail, 80))}</small>` : '';
      return `<td class="cell ${e(statusClass(c.status))}" data-status="${e(c.status)}"${tip}>${e(c.status)}${counts ? `<br><small>${e(counts)}</small>` : ''}${why}</td>`;
    }
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function statusClass(status: ParityCell['status']): string {
  if (status === 'truncated') return 'error';
  if (status === 'not-collected') return 'unreachable';
  return status;
}

export function countsText(c: SeverityCounts): string {
  const parts: string[] = [];
  if (c.critical) parts.push(`${c.critical} C`);
  if (c.warning) parts.push(`${c.warning} W`);
  if (c.info) parts.push(`${c.info} I`);
  if (c.waived) parts.push(`${c.waived} waived`);
  return parts.join(' · ');
}

function readinessSection(r: AuditReport): string {
  const svg = readinessChartSvg({
    points: r.readiness.points,
    bands: r.readiness.notReady,
    since: r.period.since,
    until: r.period.until,
  });
  const bands = r.readiness.notReady.map(
    (b) =>
      `<tr><td>${t(b.from)}</td><td>${b.to ? `${t(b.to)}` : '<strong>still not ready at the end of the period</strong>'}</td><td class="num">${b.runs}</td><td>${e(formatDuration(((b.to ? Date.parse(b.to) : Math.min(Date.parse(r.period.until), Date.parse(r.generatedAt))) - Date.parse(b.from)) / 1000))}</td></tr>`,
  );
  return `<section id="readiness">
<h2>Readiness over time</h2>
<figure>${svg}</figure>
<h3>Not-ready stretches (${r.readiness.notReady.length})</h3>
${
  bands.length
    ? `<table><thead><tr><th>From</th><th>Until (first ready run)</th><th>Runs</th><th>Duration</th></tr></thead><tbody>
${bands.join('\n')}
</tbody></table>`
    : `<p>${r.readiness.points.length ? 'Every run in the period was ready.' : 'No run in the period.'}</p>`
}
</section>`;
}

function episodesSection(r: AuditReport): string {
  const rows = r.episodes.map((ep) => episodeRow(ep));
  return `<section id="episodes">
<h2>Finding episodes (${r.episodes.length})</h2>
<p>Every finding open at some time in the period: when it was first seen, when it was resolved (the first run without it), and the values per node when it opened and at its last sighting.</p>
${
  rows.length
    ? `<table class="episodes">
<thead><tr><th>Severity</th><th>Finding</th><th>First seen</th><th>Resolved</th><th>Duration</th><th>Values per node</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
    : '<p>No finding in the period: the nodes were at parity throughout.</p>'
}
</section>`;
}

function episodeRow(ep: AuditEpisode): string {
  const sev = `<span class="sev sev-${e(ep.severity)}">${e(ep.severity)}</span>${ep.waived ? '<br><small>waived</small>' : ''}`;
  const waiver = ep.waiver
    ? `<br><small>waiver ${e(ep.waiver.rule)} by ${e(ep.waiver.author)} until ${e(ep.waiver.expires)}: ${e(ep.waiver.justification)}</small>`
    : '';
  const resolved = ep.resolvedAt ? `${t(ep.resolvedAt)}` : '<strong class="bad-text">still open</strong>';
  return `<tr data-episode="${ep.episodeId}" data-status="${ep.status}"><td>${sev}</td><td><code>${e(ep.facet)}/${e(ep.key)}</code> <small>(${e(ep.kind)}${ep.rule ? `, rule ${e(ep.rule)}` : ''})</small><br>${e(ep.message)}${waiver}</td><td>${t(ep.firstSeen)}</td><td>${resolved}</td><td>${e(formatDuration(ep.durationSeconds))}${ep.status === 'open' ? ' so far' : ''}</td><td>${valuesList(ep)}</td></tr>`;
}

function valuesList(ep: AuditEpisode): string {
  const nodes = [...new Set([...Object.keys(ep.valuesOpen), ...Object.keys(ep.valuesLast)])].sort();
  const items = nodes.map((node) => {
    const open = ep.valuesOpen[node];
    const last = ep.valuesLast[node];
    const shown = open === last ? value(last) : `${value(open)} → ${value(last)}`;
    return `<li><strong>${e(node)}</strong>: ${shown}</li>`;
  });
  return `<ul class="values">${items.join('')}</ul>`;
}

function value(v: string | null | undefined): string {
  if (v === null || v === undefined) return '<em>absent</em>';
  const clipped = v.length > VALUE_CLIP ? `${v.slice(0, VALUE_CLIP)}… (${v.length - VALUE_CLIP} more characters in the JSON report)` : v;
  return `<code>${e(clipped)}</code>`;
}

function changesSection(r: AuditReport): string {
  const byNode = new Map<string, AuditChange[]>();
  for (const c of r.changes) byNode.set(c.node, [...(byNode.get(c.node) ?? []), c]);
  const nodes = [...new Set([...r.cluster.nodes.map((n) => n.name), ...byNode.keys()])];
  const blocks = nodes.map((node) => {
    const list = byNode.get(node) ?? [];
    if (list.length === 0) return `<h3 data-node="${e(node)}">${e(node)}: no change</h3>`;
    return `<h3 data-node="${e(node)}">${e(node)}: ${list.length} change${list.length === 1 ? '' : 's'}</h3>
<table class="changes">
<thead><tr><th>At</th><th>Facet</th><th>Key</th><th>Change</th><th>Before</th><th>After</th></tr></thead>
<tbody>
${list.map((c) => `<tr><td>${t(c.at)}</td><td>${e(c.facet)}</td><td><code>${e(c.key)}</code></td><td>${e(c.change)}</td><td>${value(c.before)}</td><td>${value(c.after)}</td></tr>`).join('\n')}
</tbody>
</table>`;
  });
  return `<section id="changes">
<h2>Changes per node (${r.changes.length})</h2>
<p>Items added, removed or changed between consecutive snapshots of each node in the period.</p>
${blocks.join('\n')}
</section>`;
}

function evidenceSection(r: AuditReport): string {
  const chain = r.evidence.chain;
  const chainText = chain.ok
    ? `<p class="ok-text" data-chain="ok">Evidence chain intact: verifyChain recomputed ${chain.runsVerified} runs in the store (${chain.thinnedRuns} thinned by retention), down to every stored blob.</p>`
    : `<p class="bad-text" data-chain="broken">Evidence chain BROKEN at run ${e(chain.brokenAt)}: ${e(chain.reason)} (${chain.runsVerified} runs checked). The history below cannot be vouched for.</p>`;
  const run = r.latestRun;
  const runTable = run
    ? `<h3>Latest run ${run.id}</h3>
<table class="hashes">
<tbody>
<tr><th>Run hash</th><td><code>${e(run.hash)}</code></td></tr>
<tr><th>Previous run hash</th><td><code>${e(run.prevHash ?? '(first run of this cluster)')}</code></td></tr>
<tr><th>Snapshots hash</th><td><code>${e(run.snapshotsHash)}</code> ${run.snapshotsHashMatches ? '<span class="badge ok">matches the snapshots below</span>' : '<span class="badge bad">does NOT match the snapshots below</span>'}</td></tr>
<tr><th>Findings hash</th><td><code>${e(run.findingsHash)}</code></td></tr>
<tr><th>Report hash</th><td><code>${e(run.reportHash)}</code></td></tr>
<tr><th>Started / finished</th><td>${t(run.startedAt)} / ${t(run.finishedAt)}</td></tr>
${run.thinnedNodes.length ? `<tr><th>Thinned nodes</th><td>${e(run.thinnedNodes.join(', '))} (content equal to their previous kept snapshot)</td></tr>` : ''}
</tbody>
</table>`
    : '<p>No run in the period.</p>';
  const facets = [...new Set(r.evidence.snapshots.flatMap((s) => Object.keys(s.facets)))];
  const snaps = r.evidence.snapshots.length
    ? `<h3>Snapshot hashes of the latest run</h3>
<table class="hashes">
<thead><tr><th>Node</th><th>Taken at</th><th>Content hash</th></tr></thead>
<tbody>
${r.evidence.snapshots.map((s) => `<tr><td>${e(s.node)}</td><td>${t(s.takenAt)}</td><td><code>${e(s.contentHash)}</code>${s.error ? `<br><small>${e(s.error)}</small>` : ''}</td></tr>`).join('\n')}
</tbody>
</table>
<table class="hashes facet-hashes">
<thead><tr><th>Facet</th>${r.evidence.snapshots.map((s) => `<th>${e(s.node)}</th>`).join('')}</tr></thead>
<tbody>
${facets.map((f) => `<tr><th>${e(f)}</th>${r.evidence.snapshots.map((s) => `<td><code>${e(s.facets[f] ?? '-')}</code></td>`).join('')}</tr>`).join('\n')}
</tbody>
</table>`
    : '';
  return `<section id="evidence">
<h2>Evidence</h2>
<p data-figure="run-count">Runs of this cluster in the period: <strong>${r.evidence.runCount}</strong>.</p>
${chainText}
${runTable}
${snaps}
</section>`;
}

function provenanceFooter(r: AuditReport): string {
  return `<footer id="provenance">
<h2>Provenance</h2>
<dl>
<dt>Produced by</dt><dd>driftd ${e(r.driftdVersion)}</dd>
<dt>Command</dt><dd><code>${e(r.commandLine)}</code></dd>
<dt>Generated</dt><dd>${t(r.generatedAt)}</dd>
<dt>Format</dt><dd>${e(r.schema)} (the JSON form of this report holds every figure shown here)</dd>
</dl>
</footer>`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; background: #f6f7f9; margin: 0; padding: 24px 32px; }
header, section, footer { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 16px 20px; margin: 0 0 18px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 0 0 10px; border-bottom: 2px solid #1f5fa8; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p { margin: 6px 0; }
code { font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
time { white-space: nowrap; }
table.hashes code { word-break: break-all; }
/* Long unbreakable values (file hashes, kernel command lines, dotted keys in messages) wrap
   inside their cell instead of pushing the table past the page at 1280 px or on paper. */
td { overflow-wrap: anywhere; }
table.episodes td:last-child { min-width: 240px; }
table.episodes td:first-child, table.episodes td:nth-child(5) { overflow-wrap: normal; }
table.episodes th:nth-child(2), table.episodes th:nth-child(6) { width: 34%; }
small { color: #555; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border: 1px solid #dde1e6; padding: 4px 7px; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.period { color: #444; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; }
.badge.ok { color: #0f5323; background: #e3f4e8; border-color: #9fd3ae; }
.badge.bad { color: #8c1d18; background: #fbe4e2; border-color: #eaa59f; }
.badge.neutral { color: #444; background: #eee; border-color: #ccc; }
.ok-text { color: #0f5323; }
.bad-text { color: #8c1d18; }
.warn { color: #8a5300; font-weight: 600; }
.tag { font-size: 11px; background: #e8eefb; border: 1px solid #b8c8ee; border-radius: 3px; padding: 0 4px; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; margin: 0; }
dl.figures div { border: 1px solid #dde1e6; border-radius: 4px; padding: 6px 10px; }
dl.figures dt { font-size: 12px; color: #555; }
dl.figures dd { margin: 0; font-size: 18px; font-weight: 600; }
table.matrix th, table.matrix td { text-align: center; }
table.matrix th[scope=row] { text-align: left; }
.cell { font-weight: 600; }
.cell.parity { background: #e3f4e8; color: #0f5323; }
.cell.drift-warning { background: #fff1cc; color: #6b4500; }
.cell.drift-critical { background: #f9d3cf; color: #8c1d18; }
.cell.waived { background: #e8eefb; color: #1f3f7a; }
.cell.unsupported { background: #f1f1f1; color: #666; font-weight: 400; }
.cell.error { background: #fde2c8; color: #7a3b00; }
.cell.unreachable { background: #d9d9d9; color: #333; }
.legend .cell { display: inline-block; padding: 1px 6px; margin: 2px 4px 2px 0; border-radius: 3px; font-size: 12px; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.sev-critical { color: #8c1d18; }
.sev-warning { color: #8a5300; }
.sev-info { color: #1f3f7a; }
ul.values { margin: 0; padding-left: 16px; }
tr.expired td { color: #777; text-decoration: line-through; }
tr.expired td:last-child { text-decoration: none; }
figure { margin: 0; }
.scroll { overflow-x: auto; }
td.cell.unreachable small { font-weight: 400; }
svg.chart { width: 100%; height: auto; max-width: 1100px; display: block; }
table.hashes code { font-size: 11px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { background: #fff; padding: 0; font-size: 11px; }
  header, section, footer { border: none; padding: 0; margin: 0 0 10px; }
  /* Sections follow each other: a new page only where the content needs one. */
  #summary, #cluster, footer { break-inside: avoid; }
  thead { display: table-header-group; }
  tr, figure, dl.figures div { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .cell, .badge, thead th, .band-not-ready { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
