/**
 * Pacemaker's own scheduler on CIBs nobody on this project wrote: a sample of the 855
 * inputs of Pacemaker's scheduler regression suite (cts/scheduler/xml, provenance in
 * ../shared/corpus/README.md; read there, never copied), each with one node failing, run
 * through the real crm_simulate of this host. Also the REAL `cibadmin --query` CIB of
 * fixtures/cluster (Pacemaker 2.1.5). Skipped loudly without the corpus or crm_simulate;
 * a failure under CI.
 *
 * What is checked on every sampled CIB:
 * - the CIB the collector keeps (re-serialised, secrets redacted) gives the same placements
 *   as the original file: keeping it changes nothing Pacemaker decides;
 * - the parsed placements agree with the scheduler's own transition summary: every `move`
 *   has the resource at its source before and at its destination after, every `start` on a
 *   node has it there after;
 * - the failed node is offline afterwards and the judgement answers for every resource;
 * - the failover finding groups by root cause (never more findings than failing resources,
 *   each failing resource named), counts against the failed node when no target can be
 *   blamed, and is critical for a resource with nowhere to go or blocked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { pacemakerCollector, PACEMAKER_CIB_COMMAND } from '../../src/collectors/pacemaker.js';
import { CIB_META_KEY } from '../../src/core/simulate/cib-meta.js';
import { NO_RULES } from '../../src/core/engine/rules/compile.js';
import { failoverFindings } from '../../src/core/simulate/findings.js';
import { judgeSimulation } from '../../src/core/simulate/judge.js';
import type { ClusterState, SimulationOutcome } from '../../src/core/simulate/model.js';
import { findCrmSimulate, simulateNodeFailure } from '../../src/simulate/run.js';
import { FIXTURES, ok } from '../collectors/fixture-outputs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = path.resolve(process.env.DRIFTD_CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus'), 'pacemaker-cts');
const required = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const corpus = existsSync(corpusDir);
const crmSimulate = findCrmSimulate(process.env.DRIFTD_CRM_SIMULATE);
if (!corpus && !required)
  console.warn(`PACEMAKER CTS CORPUS ABSENT: ${corpusDir} not found; the failover simulation corpus tests are SKIPPED`);
if (!crmSimulate && !required)
  console.warn(
    'CRM_SIMULATE ABSENT: install pacemaker-cli-utils (test/setup.sh does); the failover simulation tests against Pacemaker are SKIPPED',
  );
const runCorpus = corpus && crmSimulate !== undefined;

/** Every 15th CIB in name order: 57 of 855, spread over the whole suite (each is two crm_simulate runs). */
const SAMPLE_EVERY = 15;

function keptCib(text: string): string | undefined {
  const facet = pacemakerCollector.parse(
    { [PACEMAKER_CIB_COMMAND]: { ...ok(text), stderr: 'driftd: source=cibadmin\n' } },
    DEFAULT_COLLECTOR_CONTEXT,
  );
  return facet.meta?.[CIB_META_KEY];
}

/** The first cluster node (not remote, not guest) the status shows online. */
function nodeToFail(text: string): string | undefined {
  for (const m of text.matchAll(/<node_state\b[^>]*>/g)) {
    const tag = m[0];
    if (!/\bin_ccm="(true|\d+)"/.test(tag) || !/\bcrmd="online"/.test(tag)) continue;
    if (/\bremote_node="true"/.test(tag)) continue;
    const uname = /\buname="([^"]+)"/.exec(tag)?.[1];
    if (uname) return uname;
  }
  return undefined;
}

function placements(state: ClusterState): string[] {
  return state.resources.flatMap((r) => r.placements.map((p) => `${r.key}@${p.node}:${p.role}`)).sort();
}

function strip(resource: string): string {
  return resource.replace(/:\d+$/, '');
}

/** The scheduler's transition summary against the parsed placements; the disagreements. */
function disagreements(outcome: SimulationOutcome): string[] {
  const out: string[] = [];
  // A bundle replica's resources are named with the replica number (`base-bundle-podman-0`).
  const on = (state: ClusterState, name: string, node: string): boolean =>
    state.resources.some(
      (r) => (r.primitive === name || r.primitive === name.replace(/-\d+$/, '')) && r.placements.some((p) => p.node === node),
    );
  for (const a of outcome.actions) {
    if (a.blocked) continue; // wanted, not done
    const primitive = strip(a.resource);
    if (a.action === 'move' && a.source !== undefined && a.dest !== undefined) {
      if (!on(outcome.before, primitive, a.source)) out.push(`move ${a.resource}: not on ${a.source} before`);
      if (!on(outcome.after, primitive, a.dest)) out.push(`move ${a.resource}: not on ${a.dest} after`);
    }
    if (a.action === 'start' && a.node !== undefined && !on(outcome.after, primitive, a.node))
      out.push(`start ${a.resource}: not on ${a.node} after`);
  }
  return out;
}

describe('failover simulation on Pacemaker scheduler inputs', () => {
  (required || corpus ? it : it.skip)(`has the corpus (${corpusDir}) and crm_simulate under CI`, () => {
    expect(corpus, `${corpusDir} not found`).toBe(true);
    expect(crmSimulate, 'crm_simulate not found (pacemaker-cli-utils)').toBeDefined();
  });

  (runCorpus ? it : it.skip)(
    'a sample of the suite: the kept CIB simulates like the original, placements agree with the transition summary',
    async () => {
      const files = readdirSync(corpusDir)
        .filter((f) => f.endsWith('.xml'))
        .sort()
        .filter((_, i) => i % SAMPLE_EVERY === 0);
      const failures: string[] = [];
      const schedulerRefused: string[] = [];
      let simulated = 0;
      let moved = 0;
      let findings = 0;
      for (const file of files) {
        const text = readFileSync(path.join(corpusDir, file), 'utf8');
        const node = nodeToFail(text);
        const kept = keptCib(text);
        if (node === undefined || kept === undefined) continue; // no node online, or no status to keep
        const [original, fromKept] = await Promise.all([simulateNodeFailure(text, node), simulateNodeFailure(kept, node)]);
        if (!original.ok) {
          // This host's scheduler may be older than the CIB's schema: then it must refuse the kept copy too.
          schedulerRefused.push(`${file}: ${original.reason.slice(0, 160)}`);
          if (fromKept.ok) failures.push(`${file}: the original is refused but the kept CIB is not`);
          continue;
        }
        if (!fromKept.ok) {
          failures.push(`${file}: the kept CIB is refused: ${fromKept.reason}`);
          continue;
        }
        simulated++;
        const a = fromKept.outcome;
        if (JSON.stringify(placements(a.after)) !== JSON.stringify(placements(original.outcome.after))) {
          failures.push(`${file}: the kept CIB places resources differently than the original`);
        }
        for (const d of disagreements(a)) failures.push(`${file} (${node} fails): ${d}`);
        const report = judgeSimulation({ cluster: 'cts', failed: node, outcome: a, nodes: new Map() });
        // Without quorum or fencing the scheduler may leave the failed node's resources where they were:
        // never "safe" then.
        const stranded = a.after.resources.some((r) => r.placements.some((p) => p.node === node));
        if (stranded && report.verdict === 'safe') failures.push(`${file}: resources stay on the failed ${node}, yet the verdict is safe`);
        if (report.resources.length !== new Set([...a.before.resources, ...a.after.resources].map((r) => r.key)).size) {
          failures.push(`${file}: the judgement does not answer for every resource`);
        }
        if (a.actions.some((x) => x.action === 'move')) moved++;
        // The finding: one per root cause, never more than the resources that fail; with no
        // driftd snapshot of any target, only the failed node can be blamed (nowhere to go,
        // blocked, instances lost), and a resource with nowhere to go is critical.
        const failing = report.resources.filter((r) => r.judgement === 'fails');
        const found = failoverFindings({ cluster: 'cts', rules: NO_RULES, now: new Date(0) }, [{ node, ok: true, report }]).map(
          (f) => f.finding,
        );
        findings += found.length;
        if (found.length > 0 !== (report.verdict === 'unsafe'))
          failures.push(`${file}: ${found.length} finding(s) for a ${report.verdict} verdict`);
        if (found.length > failing.length) failures.push(`${file}: ${found.length} findings for ${failing.length} failing resources`);
        for (const f of found) {
          if (JSON.stringify(f.outliers) !== JSON.stringify([node]))
            failures.push(`${file}: ${f.key} counts against ${f.outliers.join(',')}, not ${node}`);
          if (/^failover:(nowhere|blocked):/.test(f.key) && f.severity !== 'critical') failures.push(`${file}: ${f.key} is ${f.severity}`);
        }
        for (const r of failing)
          if (!found.some((f) => f.message.includes(r.resource))) failures.push(`${file}: ${r.resource} fails but no finding names it`);
      }
      console.log(
        `failover simulation corpus: ${files.length} sampled, ${simulated} simulated (${moved} with a move), ${schedulerRefused.length} refused by this host's scheduler, ${findings} failover finding(s)`,
      );
      expect(failures).toEqual([]);
      expect(simulated).toBeGreaterThan(files.length / 2);
      expect(moved).toBeGreaterThan(10);
      expect(findings).toBeGreaterThan(0);
    },
    300_000,
  );

  (crmSimulate !== undefined ? it : it.skip)(
    'the REAL cibadmin --query CIB (Pacemaker 2.1.5): xen-d fails, d1 moves to xen-e after fencing',
    async () => {
      const kept = keptCib(readFileSync(path.join(FIXTURES, 'cluster', 'pacemaker', 'cibadmin-2.1.5-query-xen-d.txt'), 'utf8'));
      expect(kept).toBeDefined();
      const run = await simulateNodeFailure(kept ?? '', 'xen-d');
      if (!run.ok) throw new Error(run.reason);
      expect(run.scheduler).toMatch(/^Pacemaker \d/);
      expect(run.outcome.fencing).toEqual([{ node: 'xen-d', task: 'Fence (reboot)' }]);
      const report = judgeSimulation({ cluster: 'xen', failed: 'xen-d', outcome: run.outcome, nodes: new Map() });
      const d1 = report.resources.find((r) => r.resource === 'd1');
      expect(d1).toMatchObject({ now: ['xen-d'], after: ['xen-e'], outcome: 'moves', targets: ['xen-e'], judgement: 'unknown' });
      expect(d1?.reasons).toEqual(['xen-e is not a node driftd collects for this cluster']);
    },
  );

  (crmSimulate !== undefined ? it : it.skip)('names what went wrong when the scheduler refuses the input', async () => {
    // HAND-MADE: a schema this (or any) Pacemaker does not know.
    const unknownSchema =
      '<cib validate-with="pacemaker-99.0" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>';
    const run = await simulateNodeFailure(unknownSchema, 'x');
    expect(run).toMatchObject({ ok: false, kind: 'failed' });
    if (!run.ok)
      expect(run.reason).toMatch(/crm_simulate \(Pacemaker [^)]+\) exited \d+: crm_simulate failed: Invalid configuration \(code 78\)/);
    const missing = await simulateNodeFailure('<cib/>', 'x', { crmSimulate: '/nonexistent/crm_simulate' });
    expect(missing).toMatchObject({ ok: false, kind: 'not-installed' });
  });
});
