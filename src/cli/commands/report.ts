/**
 * `driftd report`: the compliance audit report of a cluster over a period, as one
 * self-contained HTML file, Markdown or JSON (docs/report.md). Reads the store only.
 * Exit 0 when written; 1 when written but the evidence chain is broken (the report says
 * so too); 2 on usage, config or store errors.
 */
import { writeFileSync } from 'node:fs';
import { DatabaseConfigError, databaseMayHoldHistory, databaseOf, openStoreOf } from '../../config/database.js';
import { auditReportFromStore } from '../../report/from-store.js';
import { renderAuditHtml } from '../../report/html.js';
import { renderAuditMarkdown } from '../../report/markdown.js';
import type { AuditReport } from '../../report/schema.js';
import { StoreError, type Store } from '../../store/index.js';
import { commandLine } from '../../transports/shell-quote.js';
import { loadConfigOrExit } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { pickCluster } from '../select-cluster.js';
import { parseTimeArg } from '../time.js';
import { escapeControlLines } from '../../core/text/terminal.js';
import type { ReportFormat } from '../defaults.js';

export interface ReportFlags {
  config: string;
  cluster?: string;
  since: string;
  until?: string;
  format: ReportFormat;
  out: string;
}

export async function runReport(flags: ReportFlags, now: Date, argv: readonly string[]): Promise<ExitCode> {
  const loaded = loadConfigOrExit(flags.config);
  const cluster = pickCluster(loaded.config, flags.cluster);
  const since = parseTimeArg(flags.since, now, '--since');
  const until = flags.until ? parseTimeArg(flags.until, now, '--until') : now.toISOString();
  if (Date.parse(since) >= Date.parse(until)) throw new CliError(`--since (${since}) must be before --until (${until})`, EXIT.undecided);
  if (!databaseMayHoldHistory(loaded)) {
    throw new CliError(`no database at ${databaseOf(loaded).shown} yet; run \`driftd serve\` first`, EXIT.undecided);
  }
  let store: Store;
  try {
    store = await openStoreOf(loaded, { readonly: true });
  } catch (err) {
    if (err instanceof StoreError || err instanceof DatabaseConfigError) throw new CliError(err.message, EXIT.undecided);
    throw err;
  }
  let report: AuditReport;
  try {
    report = await auditReportFromStore(store, {
      loaded,
      cluster,
      since,
      until,
      generatedAt: now.toISOString(),
      commandLine: commandLine(argv),
    });
  } finally {
    await store.close();
  }
  const text = renderReport(report, flags.format);
  // On a terminal, a Markdown report's node-supplied text is shown with control characters
  // escaped; files (and HTML/JSON, escaped by their own formats) are written as rendered.
  if (flags.out === '-') process.stdout.write(flags.format === 'md' ? escapeControlLines(text) : text);
  else writeFileSync(flags.out, text);
  if (!report.evidence.chain.ok) {
    process.stderr.write(
      `driftd: the evidence chain is BROKEN at run ${report.evidence.chain.brokenAt ?? '?'}: ${report.evidence.chain.reason ?? ''}\n`,
    );
    return EXIT.notReady;
  }
  return EXIT.ok;
}

export function renderReport(report: AuditReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'md') return renderAuditMarkdown(report);
  return renderAuditHtml(report);
}
