import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/transports/transport.js';
import { CRM_MON_COMMAND, parseResourceLocations } from '../../src/window/resources.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const fixture = (name: string): string => readFileSync(path.join(HERE, 'fixtures', name), 'utf8');

function ok(stdout: string): CommandResult {
  return { id: CRM_MON_COMMAND.id, exitCode: 0, stdout, stderr: '', truncated: false, durationMs: 1 };
}

// HAND-MADE in crm_mon 2.1.5's XML shape: a group on n1, an anonymous clone on both, a
// promotable clone promoted on n2.
const HANDMADE_CLONES = `<pacemaker-result api-version="2.25" request="handmade">
  <resources>
    <group id="g-db" number_resources="2" managed="true" disabled="false">
      <resource id="ip-db" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n1" id="1" cached="true"/></resource>
      <resource id="fs-db" resource_agent="ocf:heartbeat:Filesystem" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n1" id="1" cached="true"/></resource>
    </group>
    <clone id="cl-ping" multi_state="false" unique="false" managed="true" disabled="false" failed="false" failure_ignored="false">
      <resource id="ping" resource_agent="ocf:pacemaker:ping" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n1" id="1" cached="true"/></resource>
      <resource id="ping" resource_agent="ocf:pacemaker:ping" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n2" id="2" cached="true"/></resource>
    </clone>
    <clone id="ms-drbd" multi_state="true" unique="false" managed="true" disabled="false" failed="false" failure_ignored="false">
      <resource id="drbd" resource_agent="ocf:linbit:drbd" role="Promoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n2" id="2" cached="true"/></resource>
      <resource id="drbd" resource_agent="ocf:linbit:drbd" role="Unpromoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="n1" id="1" cached="true"/></resource>
    </clone>
  </resources>
</pacemaker-result>`;

describe('parseResourceLocations', () => {
  it('real crm_mon (xen-d CIB): d1 runs on xen-d; the fencing device on xen-e does not count', () => {
    expect(parseResourceLocations(ok(fixture('crm_mon-2.1.5-xen-d.txt')), 'xen-d')).toEqual({
      kind: 'located',
      from: 'xen-d',
      resources: [{ id: 'd1', node: 'xen-d', role: 'Started' }],
      nodes: ['xen-d'],
    });
  });

  it('real crm_mon (bundles, all stopped): located, nothing running', () => {
    expect(parseResourceLocations(ok(fixture('crm_mon-2.1.5-bundle-interleave-start.txt')), 'node1')).toEqual({
      kind: 'located',
      from: 'node1',
      resources: [],
      nodes: [],
    });
  });

  it('hand-made: groups count, clone instances do not, the promoted instance does', () => {
    const location = parseResourceLocations(ok(HANDMADE_CLONES), 'n1');
    expect(location.kind === 'located' ? location.resources : []).toEqual([
      { id: 'ip-db', node: 'n1', role: 'Started' },
      { id: 'fs-db', node: 'n1', role: 'Started' },
      { id: 'drbd', node: 'n2', role: 'Promoted' },
    ]);
  });

  it.each([
    [{ exitCode: 127, stderr: 'not recorded' }, 'n1: crm_mon exited 127: not recorded'],
    [
      { exitCode: 102, stderr: 'crm_mon: Connection to cluster failed: Transport endpoint is not connected\n' },
      'n1: crm_mon exited 102: crm_mon: Connection to cluster failed: Transport endpoint is not connected',
    ],
    [{ exitCode: null, error: 'timeout after 60s' }, 'n1: crm_mon: timeout after 60s'],
    [{ exitCode: 0, stdout: '<pacemaker-result><resources>' }, /^n1: crm_mon output line 1:/],
    [{ exitCode: 0, stdout: '<pacemaker-result/>' }, 'n1: crm_mon output has no <resources>'],
  ] as const)('unknown, with the reason: %j', (partial, reason) => {
    const location = parseResourceLocations({ ...ok(''), ...partial }, 'n1');
    expect(location.kind).toBe('unknown');
    if (location.kind === 'unknown') expect(location.reason).toMatch(reason);
  });

  it('never throws on arbitrary output', () => {
    fc.assert(
      fc.property(fc.string(), (stdout) => ['located', 'unknown'].includes(parseResourceLocations(ok(stdout), 'n').kind)),
      { numRuns: 500 },
    );
  });
});

describe('real crm_mon on this host', () => {
  const present = existsSync(CRM_MON_COMMAND.argv[0] ?? '');
  if (!present)
    console.warn('test/window/resources.test.ts: SKIPPED live crm_mon: /usr/sbin/crm_mon missing (apt-get install pacemaker-cli-utils)');
  (present ? it : it.skip)(
    present
      ? 'the command driftd sends, run offline on the xen-d CIB, gives what the fixture says'
      : 'SKIPPED: /usr/sbin/crm_mon missing (apt-get install pacemaker-cli-utils)',
    () => {
      const [bin, ...args] = CRM_MON_COMMAND.argv;
      const run = spawnSync(bin ?? '', args, {
        encoding: 'utf8',
        env: { ...process.env, CIB_file: path.join(REPO, 'fixtures/cluster/pacemaker/crmsh-history-test-xen-d-cib.xml') },
      });
      expect(run.status).toBe(0);
      const location = parseResourceLocations({ ...ok(run.stdout) }, 'xen-d');
      expect(location).toEqual(parseResourceLocations(ok(fixture('crm_mon-2.1.5-xen-d.txt')), 'xen-d'));
    },
  );
});

describe('window plan --locate on replay nodes', { timeout: 120_000 }, () => {
  it('orders by where resources run, and falls back to the config without --locate', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-window-locate-'));
    try {
      for (const node of ['xen-d', 'xen-e']) {
        cpSync(path.join(REPO, 'fixtures/demo/erp-a'), path.join(dir, node), { recursive: true });
        writeFileSync(path.join(dir, node, 'os-hostname.txt'), `${node}\n`);
        writeFileSync(path.join(dir, node, `${CRM_MON_COMMAND.id}.txt`), fixture('crm_mon-2.1.5-xen-d.txt'));
      }
      const config = path.join(dir, 'driftd.yaml');
      writeFileSync(
        config,
        'database: ./driftd.db\nclusters:\n  - name: xen\n    nodes:\n      - { name: xen-d, transport: replay, path: ./xen-d }\n      - { name: xen-e, transport: replay, path: ./xen-e }\n',
      );
      const plan = (...extra: string[]) => {
        const r = spawnSync(
          process.execPath,
          ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), 'window', 'plan', '--config', config, '--json', ...extra],
          { cwd: REPO, encoding: 'utf8' },
        );
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout) as { order: { name: string; because: string }[] };
      };
      expect(plan().order.map((n) => n.name)).toEqual(['xen-d', 'xen-e']);
      const located = plan('--locate');
      expect(located.order).toEqual([
        { name: 'xen-e', because: 'no resources run here now (runtime)', hostsWorkload: false },
        { name: 'xen-d', because: 'resources run here now (runtime)', hostsWorkload: true },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
