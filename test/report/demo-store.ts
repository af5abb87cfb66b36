/**
 * A store filled by REAL runs: recorded command outputs of the demo node erp-a
 * (fixtures/demo/erp-a, provenance in fixtures/README.md) replayed for three nodes,
 * collected through the replay transport, judged by the engine and saved exactly as the
 * daemon does (auditClusters + Store.saveRun). Between runs an "admin" edits the copies:
 *
 *   run 1  08:00  three identical nodes: at parity, ready
 *   run 2  09:00  erp-c drifts like the shipped demo: openssl/libssl3 3.0.17, curl removed,
 *                 vm.swappiness 60 (waived), so warnings only: still ready
 *   run 3  10:00  erp-b drifts: pacemaker upgraded alone (critical), kernel.core_pattern set
 *                 to a value holding `<script>` (warning): not ready
 *   run 4  11:00  unchanged: the erp-b episodes continue
 *   run 5  12:00  erp-b put back: its episodes resolve, ready again; erp-c's stay open
 *
 * All three start from one copy of erp-a (hostname set per node) so the figures do not
 * depend on the other demo recordings, which are regenerated from time to time.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { auditClusters, loadRulesFor } from '../../src/audit/audit.js';
import { Store } from '../../src/store/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const NODES = ['erp-a', 'erp-b', 'erp-c'] as const;
export const RUN_TIMES = [
  '2026-11-20T08:00:00.000Z',
  '2026-11-20T09:00:00.000Z',
  '2026-11-20T10:00:00.000Z',
  '2026-11-20T11:00:00.000Z',
  '2026-11-20T12:00:00.000Z',
] as const;

export const SCRIPT_VALUE = '<script>alert("drift")</script>';
export const PACEMAKER_OLD = '2.1.5-1+deb12u1';
export const PACEMAKER_NEW = '2.1.5-1+deb12u9';
export const OPENSSL_OLD = '3.0.17-1~deb12u2';

export interface DemoStore {
  dir: string;
  configFile: string;
  dbFile: string;
  loaded: LoadedConfig;
  cleanup: () => void;
}

export const WAIVER_JUSTIFICATION = 'erp-c runs the batch jobs & is tuned <differently> on purpose';

const RULES = `pack: audit-test
description: Waivers for the report tests (one in force, one expired).
rules:
  - name: erp-swappiness
    match: { facet: sysctl, key: vm.swappiness }
    severity: warning
    waivers:
      - justification: '${WAIVER_JUSTIFICATION}'
        author: ops-team
        expires: 2099-12-31
  - name: erp-curl
    match: { facet: packages, key: curl }
    severity: info
    waivers:
      - justification: curl removal pending CAB-1234
        author: jdoe
        expires: 2020-01-31
`;

function edit(file: string, change: (text: string) => string): void {
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`test setup: the edit of ${file} changed nothing (fixture layout moved?)`);
  writeFileSync(file, after);
}

export async function buildDemoStore(): Promise<DemoStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftd-report-'));
  const nodeDir = (node: string) => path.join(dir, 'nodes', node);
  for (const node of NODES) {
    cpSync(path.join(REPO, 'fixtures/demo/erp-a'), nodeDir(node), { recursive: true });
    writeFileSync(path.join(nodeDir(node), 'os-hostname.txt'), `${node}\n`);
  }
  writeFileSync(path.join(dir, 'audit-rules.yaml'), RULES);
  const configFile = path.join(dir, 'driftd.yaml');
  writeFileSync(
    configFile,
    [
      'database: ./driftd.db',
      'rules: [./audit-rules.yaml]',
      'clusters:',
      '  - name: erp-demo',
      '    facets: [os, kernel, packages, modules, sysctl, services, files, corosync, pacemaker, drbd]',
      '    files: [/etc/hosts, /etc/sysctl.d/*.conf, /etc/corosync/corosync.conf]',
      '    nodes:',
      '      - { name: erp-a, transport: replay, path: nodes/erp-a, role: primary }',
      '      - { name: erp-b, transport: replay, path: nodes/erp-b, role: standby }',
      '      - { name: erp-c, transport: replay, path: nodes/erp-c }',
      '',
    ].join('\n'),
  );
  const loaded = loadConfig(configFile);
  const rules = loadRulesFor(loaded);
  if (rules.errors.length) throw new Error(`test rule pack invalid: ${JSON.stringify(rules.errors)}`);
  const dbFile = path.join(dir, 'driftd.db');
  const store = await Store.open(dbFile);
  const erpB = (file: string) => path.join(nodeDir('erp-b'), file);
  const erpC = (file: string) => path.join(nodeDir('erp-c'), file);
  const originalB = { packages: readFileSync(erpB('packages-query.txt'), 'utf8'), sysctl: readFileSync(erpB('sysctl-all.txt'), 'utf8') };
  try {
    for (const [i, at] of RUN_TIMES.entries()) {
      if (i === 1) {
        edit(erpC('packages-query.txt'), (t) =>
          t
            .replace(/\topenssl\t[^\t]+\t/, `\topenssl\t${OPENSSL_OLD}\t`)
            .replace(/\tlibssl3:amd64\t[^\t]+\t/, `\tlibssl3:amd64\t${OPENSSL_OLD}\t`)
            .replace(/^.*\tcurl\t.*\n/m, ''),
        );
        edit(erpC('sysctl-all.txt'), (t) => t.replace(/^vm\.swappiness = .*$/m, 'vm.swappiness = 60'));
      }
      if (i === 2) {
        edit(erpB('packages-query.txt'), (t) => t.replace(`\tpacemaker\t${PACEMAKER_OLD}\t`, `\tpacemaker\t${PACEMAKER_NEW}\t`));
        edit(erpB('sysctl-all.txt'), (t) => t.replace(/^kernel\.core_pattern = .*$/m, `kernel.core_pattern = ${SCRIPT_VALUE}`));
      }
      if (i === 4) {
        writeFileSync(erpB('packages-query.txt'), originalB.packages);
        writeFileSync(erpB('sysctl-all.txt'), originalB.sysctl);
      }
      await auditAndSave(loaded, store, at);
    }
  } finally {
    await store.close();
  }
  return { dir, configFile, dbFile, loaded, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One daemon-style run at `at`: collect every node of the config, judge, save. */
export async function auditAndSave(loaded: LoadedConfig, store: Store, at: string): Promise<void> {
  const rules = loadRulesFor(loaded);
  const clock = () => new Date(at);
  for (const audit of await auditClusters({ loaded, rules: rules.rules, clusters: loaded.config.clusters, now: clock })) {
    await store.saveRun({
      cluster: audit.cluster.name,
      startedAt: audit.startedAt,
      finishedAt: audit.finishedAt,
      snapshots: audit.snapshots,
      report: audit.report,
    });
  }
}
