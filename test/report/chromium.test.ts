/**
 * The HTML report in a real browser: Debian's headless Chromium loads the file (no
 * network, fresh profile), dumps the DOM it built, takes a screenshot and prints a PDF.
 * Set DRIFTD_REPORT_KEEP=<dir> to keep report.html, report.png and report.pdf to look at.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
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
import { Browser, pdfPageCount } from './cdp.js';
import { buildDemoStore, type DemoStore } from './demo-store.js';

const run = promisify(execFile);
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skipReason = 'SKIPPED: no /usr/bin/chromium (apt-get install -y chromium)';
if (!CHROMIUM) console.warn(`report/chromium.test: ${skipReason}`);
const suite = CHROMIUM ? describe : describe.skip;
const NOW = new Date('2026-11-21T00:00:00.000Z');
/** poppler's pdfinfo cross-checks the page count read from the PDF itself, when installed. */
const PDFINFO = existsSync('/usr/bin/pdfinfo') ? '/usr/bin/pdfinfo' : null;
if (!PDFINFO)
  console.warn('report/chromium.test: no /usr/bin/pdfinfo (apt-get install -y poppler-utils); page counts read from the PDF only');

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
    const store = await Store.open(demo.dbFile, { readonly: true });
    try {
      const cluster = demo.loaded.config.clusters[0];
      if (!cluster) throw new Error('no cluster');
      report = await auditReportFromStore(store, {
        loaded: demo.loaded,
        cluster,
        since: '2026-11-20T00:00:00.000Z',
        until: NOW.toISOString(),
        generatedAt: NOW.toISOString(),
        commandLine: 'driftd report --cluster erp-demo --format html --out report.html',
      });
    } finally {
      await store.close();
    }
    htmlFile = path.join(work, 'report.html');
    writeFileSync(htmlFile, renderAuditHtml(report));
  }, 60_000);

  afterAll(() => {
    const keep = process.env['DRIFTD_REPORT_KEEP'];
    if (keep && work) {
      mkdirSync(keep, { recursive: true });
      for (const f of ['report.html', 'report.png', 'report.pdf', 'report-wide.html', 'report-wide.png', 'report-wide.pdf']) {
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

  it('prints to a PDF of no more pages than its content needs', async () => {
    const pdf = path.join(work, 'report.pdf');
    await chromium(`--print-to-pdf=${pdf}`, '--no-pdf-header-footer');
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(statSync(pdf).size).toBeGreaterThan(30_000);
    // The demo report's content is 5.3 pages tall in print layout (measured below, over the
    // DevTools protocol); it used to print on ten, every section starting a new page.
    const pages = pdfPageCount(bytes);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pages).toBeLessThanOrEqual(7);
    if (PDFINFO) {
      const { stdout } = await run(PDFINFO, [pdf]);
      expect(stdout).toMatch(new RegExp(`^Pages:\\s+${pages}$`, 'm'));
      expect(stdout).toMatch(/^Page size:\s+841\.\d+ x 59\d\.\d+ pts \(A4\)$/m);
    }
  }, 120_000);

  describe('measured layout (DevTools protocol on a pipe)', () => {
    let browser: Browser;
    let wideFile: string;

    beforeAll(() => {
      const profile = path.join(work, `profile-${++profiles}`);
      mkdirSync(profile);
      browser = Browser.launch(CHROMIUM ?? 'chromium', chromiumArgs(profile), { ...process.env, HOME: work });
      wideFile = path.join(work, 'report-wide.html');
      writeFileSync(wideFile, renderAuditHtml(widen(report)));
    });

    afterAll(async () => {
      await browser?.close();
    });

    /** Each table's right edge against its section's inner right edge, and the page's own overflow. */
    const LAYOUT = `JSON.stringify({
      viewport: document.documentElement.clientWidth,
      page: document.documentElement.scrollWidth,
      overflowing: [...document.querySelectorAll('table')].flatMap((table) => {
        const box = table.closest('section, footer');
        const inner = box.getBoundingClientRect().right - parseFloat(getComputedStyle(box).paddingRight);
        const scroller = table.closest('.scroll');
        const hidden = scroller ? scroller.scrollWidth - scroller.clientWidth : 0;
        const over = Math.max(table.getBoundingClientRect().right - inner, hidden);
        return over > 0.5 ? [(box.id || 'header') + ' table.' + (table.className || '(plain)') + ' by ' + Math.round(over) + 'px'] : [];
      }),
    })`;

    it.each([
      ['the demo report', () => htmlFile],
      ['a report with long values (file hashes, kernel command lines, long paths in messages)', () => wideFile],
    ])(
      '%s fits 1280 px: no table wider than its section, no horizontal scroll',
      async (_name, file) => {
        const page = await browser.open(pathToFileURL(file()).href, { width: 1280, height: 900 });
        const layout = JSON.parse(await page.evaluate<string>(LAYOUT)) as { viewport: number; page: number; overflowing: string[] };
        expect(layout.overflowing).toEqual([]);
        expect(layout.page).toBeLessThanOrEqual(layout.viewport);
        // The full-page screenshot is as wide as the window's content area: nothing beyond it.
        const png = await page.screenshot();
        expect(png.readUInt32BE(16)).toBe(layout.viewport);
        expect(png.readUInt32BE(20)).toBeGreaterThan(2000);
        if (file() === wideFile) writeFileSync(path.join(work, 'report-wide.png'), png);
      },
      120_000,
    );

    it.each([
      ['the demo report', () => htmlFile],
      ['a report with long values', () => wideFile],
    ])(
      '%s prints on as few pages as its content needs (at most one more, for rows kept whole)',
      async (_name, file) => {
        // A4 landscape less 12 mm margins at 96 px/in: the printable area in CSS pixels.
        const printable = { width: Math.floor((273 / 25.4) * 96), height: Math.floor((186 / 25.4) * 96) };
        const page = await browser.open(pathToFileURL(file()).href, printable);
        await page.emulateMedia('print');
        const height = await page.evaluate<number>('document.documentElement.scrollHeight');
        const needed = Math.ceil(height / printable.height);
        const pdf = await page.pdf();
        if (file() === wideFile) writeFileSync(path.join(work, 'report-wide.pdf'), pdf);
        expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        const pages = pdfPageCount(pdf);
        expect(pages).toBeGreaterThanOrEqual(needed);
        expect(pages, `${height} px of print layout = ${needed} page(s) of ${printable.height} px`).toBeLessThanOrEqual(needed + 1);
        // And in print the tables fit the paper's width too.
        const layout = JSON.parse(await page.evaluate<string>(LAYOUT)) as { overflowing: string[] };
        expect(layout.overflowing).toEqual([]);
      },
      120_000,
    );
  });
});

const SHA = (seed: string): string => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

/**
 * The demo report with the long unbreakable values real clusters have: file hashes in a
 * finding's message, a kernel command line, a long config path, a corosync key.
 */
function widen(report: AuditReport): AuditReport {
  const [first] = report.episodes;
  if (!first) throw new Error('the demo report has no episode');
  const nodes = ['erp-a', 'erp-b', 'erp-c'];
  const file = '/etc/multipath/conf.d/erp-storage-array-3par-8440-mpath-aliases-and-blacklist-exceptions.conf';
  const hashOf = (node: string): string => `${SHA(node === 'erp-c' ? 'changed' : 'same')} 0644 root:root 2481`;
  const cmdline = (node: string): string =>
    `BOOT_IMAGE=/vmlinuz-6.1.0-28-amd64 root=UUID=5b7c8a4e-1d0f-4c56-9a3e-2f61d7e0c9ab ro quiet crashkernel=384M-:${node === 'erp-c' ? '512M' : '256M'} intel_iommu=on iommu=pt transparent_hugepage=never`;
  const values = (of: (node: string) => string): Record<string, string> => Object.fromEntries(nodes.map((n) => [n, of(n)]));
  const episodes: AuditReport['episodes'] = [
    {
      ...first,
      episodeId: 101,
      findingId: 'wide-files',
      facet: 'files',
      key: file,
      kind: 'mismatch',
      severity: 'critical',
      rule: null,
      message: `files ${file}: erp-c has ${hashOf('erp-c')} (majority has ${hashOf('erp-a')})`,
      valuesOpen: values(hashOf),
      valuesLast: values(hashOf),
    },
    {
      ...first,
      episodeId: 102,
      findingId: 'wide-cmdline',
      facet: 'kernel',
      key: 'cmdline.crashkernel',
      kind: 'mismatch',
      severity: 'warning',
      rule: null,
      message: `kernel cmdline.crashkernel: erp-c has 384M-:512M (majority has 384M-:256M); full command line ${cmdline('erp-c')}`,
      valuesOpen: values(cmdline),
      valuesLast: values(cmdline),
    },
    {
      ...first,
      episodeId: 103,
      findingId: 'wide-corosync',
      facet: 'corosync',
      key: 'nodelist.node[name=erp-storage-replication-node-c.example.internal].ring1_addr',
      kind: 'mismatch',
      severity: 'warning',
      rule: null,
      message:
        'corosync nodelist.node[name=erp-storage-replication-node-c.example.internal].ring1_addr: erp-c has fd00:0:0:42:5054:ff:fe12:3456 (majority has fd00:0:0:42:5054:ff:fe12:3457)',
    },
    ...report.episodes,
  ];
  const changes: AuditReport['changes'] = [
    {
      at: first.firstSeen,
      runId: 1,
      node: 'erp-c',
      facet: 'files',
      key: file,
      change: 'changed',
      before: hashOf('erp-a'),
      after: hashOf('erp-c'),
    },
    ...report.changes,
  ];
  return { ...report, episodes, changes };
}
