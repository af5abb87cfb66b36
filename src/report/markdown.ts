/**
 * The audit report as Markdown (GitHub/GitLab flavour tables) for wikis and tickets: the
 * same facts as the HTML, without the chart (its figures are in the readiness table).
 * Cell text is escaped so a value cannot break a table or inject markup.
 */
import { countsText } from './html.js';
import { formatDuration } from './model.js';
import type { AuditEpisode, AuditReport, ParityCell } from './schema.js';

const VALUE_CLIP = 200;
/** Past this many runs the readiness table keeps only the runs where something moved. */
const ROW_EVERY_RUN_UP_TO = 120;

/** Table-cell text: pipes, newlines, backticks and HTML are neutralised. */
export function mdCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return String(value)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r\n|\r|\n/g, '<br>')
    .replace(/[`*_[\]]/g, (c) => `\\${c}`);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderAuditMarkdown(r: AuditReport): string {
  const out: string[] = [];
  const s = r.summary;
  out.push(
    `# driftd parity audit: ${mdCell(r.cluster.name)}`,
    '',
    `Period ${r.period.since} to ${r.period.until}; generated ${r.generatedAt} by driftd ${mdCell(r.driftdVersion)}.`,
    '',
    `**Verdict at the latest run:** ${s.currentlyReady === null ? 'no run in the period' : s.currentlyReady ? 'ready' : 'NOT ready'}. ` +
      `**Evidence chain:** ${r.evidence.chain.ok ? 'intact' : 'BROKEN'}.`,
    '',
    '## Summary',
    '',
    table(
      ['Figure', 'Value'],
      [
        ['Runs in period', String(s.runs)],
        ['Runs ready / not ready', `${s.readyRuns} / ${s.notReadyRuns}`],
        ['Score at latest run', s.currentScore === null ? '-' : s.currentScore.toFixed(2)],
        ['Finding episodes', String(s.episodes)],
        ['Still open / resolved', `${s.openEpisodes} / ${s.resolvedEpisodes}`],
        ['Critical / warning / info', `${s.episodesBySeverity.critical} / ${s.episodesBySeverity.warning} / ${s.episodesBySeverity.info}`],
        ['Node changes', String(s.changes)],
        [
          'Chain verified',
          r.evidence.chain.ok ? `yes (${r.evidence.chain.runsVerified} runs)` : `NO: broken at run ${r.evidence.chain.brokenAt ?? '?'}`,
        ],
      ],
    ),
    '',
    '## Cluster and nodes',
    '',
    `Cluster **${mdCell(r.cluster.name)}**, ${r.cluster.nodes.length} nodes, ${r.cluster.baseline ? `baseline node ${mdCell(r.cluster.baseline)}` : 'compared against the majority'}. Facets: ${r.cluster.facets.join(', ')}.`,
    '',
    table(
      ['Node', 'Transport', 'Address / path', 'Role'],
      r.cluster.nodes.map((n) => [mdCell(n.name), mdCell(n.transport), mdCell(n.host), mdCell(n.role)]),
    ),
    '',
    '## Rules and waivers',
    '',
  );
  if (r.rules.errors.length) {
    out.push('Rule packs that failed to load (their rules were not applied):', '', ...r.rules.errors.map((x) => `- ${mdCell(x)}`), '');
  }
  out.push(
    '### Rule packs in load order',
    '',
    table(
      ['Pack', 'Rules', 'File'],
      r.rules.packs.map((p) => [mdCell(p.pack), String(p.rules), mdCell(p.file)]),
    ),
    '',
    `### Waivers (${r.rules.waivers.length})`,
    '',
    r.rules.waivers.length
      ? table(
          ['Rule', 'Pack', 'Keys', 'Justification', 'Author', 'Expires', 'State'],
          r.rules.waivers.map((w) => [
            mdCell(w.rule),
            mdCell(w.pack),
            mdCell(w.key ?? 'all keys of the rule'),
            mdCell(w.justification),
            mdCell(w.author),
            mdCell(w.expires),
            w.expired ? '**expired**' : 'in force',
          ]),
        )
      : 'No waiver is configured.',
    '',
  );

  out.push('## Parity matrix, latest run', '');
  if (r.parity && r.latestRun) {
    out.push(
      `Run ${r.latestRun.id}, started ${r.latestRun.startedAt}: ${r.latestRun.ready ? 'ready' : '**not ready**'}, cluster score ${r.latestRun.score.toFixed(2)}. Cells count findings naming the node, by severity (C critical, W warning, I info).`,
      '',
      table(
        ['Node', ...r.parity.facets.map(mdCell), 'Score'],
        r.parity.rows.map((row) => [
          mdCell(row.node),
          ...row.cells.map(mdMatrixCell),
          `${row.score.toFixed(2)}${row.ready ? '' : ' (not ready)'}`,
        ]),
      ),
      '',
    );
  } else {
    out.push('No run of this cluster in the period.', '');
  }

  out.push('## Readiness over time', '');
  const moved = r.readiness.points.filter((p, i, all) => {
    if (all.length <= ROW_EVERY_RUN_UP_TO) return true;
    const prev = all[i - 1];
    return (
      i === 0 ||
      i === all.length - 1 ||
      !prev ||
      prev.ready !== p.ready ||
      prev.score !== p.score ||
      JSON.stringify(prev.nodes) !== JSON.stringify(p.nodes)
    );
  });
  if (moved.length < r.readiness.points.length) {
    out.push(
      `${r.readiness.points.length} runs; the ${moved.length} below are the first, the last and every run where the verdict or a score moved (the others repeat the row above them).`,
      '',
    );
  }
  out.push(
    r.readiness.points.length
      ? table(
          ['Run', 'At', 'Ready', 'Score', 'Node scores'],
          moved.map((p) => [
            String(p.runId),
            p.at,
            p.ready ? 'yes' : '**no**',
            p.score.toFixed(2),
            mdCell(
              Object.entries(p.nodes)
                .map(([n, v]) => `${n} ${v.toFixed(2)}`)
                .join(', '),
            ),
          ]),
        )
      : 'No run in the period.',
    '',
    `### Not-ready stretches (${r.readiness.notReady.length})`,
    '',
    r.readiness.notReady.length
      ? table(
          ['From', 'Until (first ready run)', 'Runs'],
          r.readiness.notReady.map((b) => [b.from, b.to ?? '**still not ready at the end of the period**', String(b.runs)]),
        )
      : r.readiness.points.length
        ? 'Every run in the period was ready.'
        : 'No run in the period.',
    '',
  );

  out.push(`## Finding episodes (${r.episodes.length})`, '');
  out.push(
    r.episodes.length
      ? table(['Severity', 'Finding', 'Message', 'First seen', 'Resolved', 'Duration', 'Values per node'], r.episodes.map(mdEpisode))
      : 'No finding in the period: the nodes were at parity throughout.',
    '',
  );

  out.push(`## Changes per node (${r.changes.length})`, '');
  const nodes = [...new Set([...r.cluster.nodes.map((n) => n.name), ...r.changes.map((c) => c.node)])];
  for (const node of nodes) {
    const list = r.changes.filter((c) => c.node === node);
    out.push(`### ${mdCell(node)}: ${list.length === 0 ? 'no change' : `${list.length} change${list.length === 1 ? '' : 's'}`}`, '');
    if (list.length) {
      out.push(
        table(
          ['At', 'Facet', 'Key', 'Change', 'Before', 'After'],
          list.map((c) => [c.at, mdCell(c.facet), mdCell(c.key), mdCell(c.change), mdValue(c.before), mdValue(c.after)]),
        ),
        '',
      );
    }
  }

  out.push('## Evidence', '', `Runs of this cluster in the period: **${r.evidence.runCount}**.`, '');
  const chain = r.evidence.chain;
  out.push(
    chain.ok
      ? `Evidence chain intact: verifyChain recomputed ${chain.runsVerified} runs in the store (${chain.thinnedRuns} thinned by retention).`
      : `**Evidence chain BROKEN at run ${chain.brokenAt ?? '?'}: ${mdCell(chain.reason)}** (${chain.runsVerified} runs checked).`,
    '',
  );
  const run = r.latestRun;
  if (run) {
    out.push(
      `### Latest run ${run.id}`,
      '',
      table(
        ['Hash', 'Value'],
        [
          ['Run hash', `\`${run.hash}\``],
          ['Previous run hash', run.prevHash ? `\`${run.prevHash}\`` : '(first run of this cluster)'],
          [
            'Snapshots hash',
            `\`${run.snapshotsHash}\` (${run.snapshotsHashMatches ? 'matches the snapshots below' : '**does NOT match the snapshots below**'})`,
          ],
          ['Findings hash', `\`${run.findingsHash}\``],
          ['Report hash', `\`${run.reportHash}\``],
        ],
      ),
      '',
      '### Snapshot hashes of the latest run',
      '',
      table(
        ['Node', 'Taken at', 'Content hash'],
        r.evidence.snapshots.map((sn) => [mdCell(sn.node), sn.takenAt, `\`${sn.contentHash}\``]),
      ),
      '',
    );
    const facets = [...new Set(r.evidence.snapshots.flatMap((sn) => Object.keys(sn.facets)))];
    out.push(
      table(
        ['Facet', ...r.evidence.snapshots.map((sn) => mdCell(sn.node))],
        facets.map((f) => [mdCell(f), ...r.evidence.snapshots.map((sn) => (sn.facets[f] ? `\`${sn.facets[f]}\`` : '-'))]),
      ),
      '',
    );
  }
  out.push(
    '## Provenance',
    '',
    table(
      ['', ''],
      [
        ['Produced by', `driftd ${mdCell(r.driftdVersion)}`],
        ['Command', mdCell(r.commandLine)],
        ['Generated', r.generatedAt],
        ['Format', `${r.schema} (the JSON form holds every figure shown here)`],
      ],
    ),
    '',
  );
  return out.join('\n');
}

function mdMatrixCell(c: ParityCell): string {
  const counts = countsText(c.drift);
  if (c.status === 'parity') return 'ok';
  if (c.status === 'drift') return `**${counts}**`;
  if (c.status === 'waived') return `ok (${c.drift.waived} waived)`;
  return counts ? `${c.status} (${counts})` : c.status;
}

function mdEpisode(ep: AuditEpisode): string[] {
  const nodes = [...new Set([...Object.keys(ep.valuesOpen), ...Object.keys(ep.valuesLast)])].sort();
  const values = nodes
    .map((n) => {
      const open = ep.valuesOpen[n];
      const last = ep.valuesLast[n];
      return `${mdCell(n)}: ${open === last ? mdValue(last) : `${mdValue(open)} → ${mdValue(last)}`}`;
    })
    .join('<br>');
  return [
    `${ep.severity}${ep.waived ? ' (waived)' : ''}`,
    `${mdCell(`${ep.facet}/${ep.key}`)} (${mdCell(ep.kind)})`,
    mdCell(ep.message) +
      (ep.waiver
        ? `<br>waiver ${mdCell(ep.waiver.rule)} by ${mdCell(ep.waiver.author)} until ${mdCell(ep.waiver.expires)}: ${mdCell(ep.waiver.justification)}`
        : ''),
    ep.firstSeen,
    ep.resolvedAt ?? '**still open**',
    `${formatDuration(ep.durationSeconds)}${ep.status === 'open' ? ' so far' : ''}`,
    values,
  ];
}

function mdValue(v: string | null | undefined): string {
  if (v === null || v === undefined) return '*absent*';
  return mdCell(v.length > VALUE_CLIP ? `${v.slice(0, VALUE_CLIP)}… (+${v.length - VALUE_CLIP} chars)` : v);
}
