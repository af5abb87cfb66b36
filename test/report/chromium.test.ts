/**
 * The HTML report in a real browser: Debian's headless Chromium loads the file (no
 * network, fresh profile), dumps the DOM it built, takes a screenshot and prints a PDF.
 * Set DRIFTD_REPORT_KEEP=<dir> to keep report.html, report.png and report.pdf to look at.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditReportFromStore } from '../../src/report/from-store.js';
import { renderAuditHtml } from '../../src/report/html.js';
import type { AuditReport } from '../../src/report/schema.js';
import { Store } from '../../src/store/index.js';
import { buildDemoStore, type DemoStore } from './demo-store.js';

const run = promisify(execFile);
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skipReason = 'SKIPPED: no /usr/bin/chromium (apt-get install -y chromium)';
if (!CHROMIUM) console.warn(`report/chromium.test: ${skipReason}`);
const suite = CHROMIUM ? describe : describe.skip;
const NOW = new Date('2026-11-21T00:00:00.000Z');

/** Everything that could make the browser reach out, off; a fresh profile per call. */
function chromiumArgs(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-extensions',
    '--disable-default-apps',
    '--no-default-browser-check',
    `--user-data-dir=${userDataDir}`,
  ];
}

suite(CHROMIUM ? 'HTML report in headless Chromium' : `HTML report in headless Chromium (${skipReason})`, () => {
  let demo: DemoStore;
  let work: string;
  let htmlFile: string;
  let report: AuditReport;
  let profiles = 0;

  async function chromium(...extra: string[]): Promise<{ stdout: string; stderr: string }> {
    const profile = path.join(work, `profile-${++profiles}`);
    mkdirSync(profile);
    return run(CHROMIUM ?? 'chromium', [...chromiumArgs(profile), ...extra, pathToFileURL(htmlFile).href], {
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HOME: work },
    });
  }

  beforeAll(async () => {
    demo = await buildDemoStore();
    work = mkdtempSync(path.join(tmpdir(), 'driftd-report-chromium-'));
    const store = Store.open(demo.dbFile, { readonly: true });
    try {
      const cluster = demo.loaded.config.clusters[0];
      if (!cluster) throw new Error('no cluster');
      report = auditReportFromStore(store, {
        loaded: demo.loaded,
        cluster,
        since: '2026-11-20T00:00:00.000Z',
        until: NOW.toISOString(),
        generatedAt: NOW.toISOString(),
        commandLine: 'driftd report --cluster erp-demo --format html --out report.html',
      });
    } finally {
      store.close();
    }
    htmlFile = path.join(work, 'report.html');
    writeFileSync(htmlFile, renderAuditHtml(report));
  }, 60_000);

  afterAll(() => {
    const keep = process.env['DRIFTD_REPORT_KEEP'];
    if (keep && work) {
      mkdirSync(keep, { recursive: true });
      for (const f of ['report.html', 'report.png', 'report.pdf']) {
        if (existsSync(path.join(work, f))) copyFileSync(path.join(work, f), path.join(keep, f));
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
    demo?.cleanup();
  });

  it('builds a DOM holding the key figures, with no script and nothing to fetch', async () => {
    const { stdout: dom } = await chromium('--dump-dom');
    expect(dom).toContain('<h1>driftd parity audit: erp-demo</h1>');
    expect(dom).toContain('Finding episodes (7)');
    expect(dom).toContain('Changes per node (8)');
    expect(dom).toMatch(/Runs in period<\/dt><dd>5<\/dd>/);
    expect(dom).toContain('Evidence chain intact: verifyChain recomputed 5 runs');
    expect(dom).toContain(report.latestRun?.hash ?? 'missing');
    expect(dom).toContain('&lt;script&gt;alert("drift")&lt;/script&gt;');
    // The parser saw no element that runs or fetches anything.
    expect(dom).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(dom).not.toMatch(/\b(src|href)=["']?https?:/i);
    expect(dom).toContain('<svg class="chart"');
  }, 120_000);

  it('takes a full-size screenshot', async () => {
    const png = path.join(work, 'report.png');
    await chromium(`--screenshot=${png}`, '--window-size=1280,2000', '--hide-scrollbars');
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.readUInt32BE(16)).toBe(1280);
    expect(bytes.readUInt32BE(20)).toBe(2000);
    // A blank or error page compresses to a few KB; the report has text, tables and a chart.
    expect(statSync(png).size).toBeGreaterThan(60_000);
  }, 120_000);

  it('prints to a multi-page PDF (one section per page)', async () => {
    const pdf = path.join(work, 'report.pdf');
    await chromium(`--print-to-pdf=${pdf}`, '--no-pdf-header-footer');
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(statSync(pdf).size).toBeGreaterThan(30_000);
    const pages = bytes.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? [];
    // header+summary, cluster, rules, parity, readiness, episodes, changes, evidence, provenance
    expect(pages.length).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
