/**
 * auditEachCluster hands each cluster over as soon as its own nodes are collected, so a
 * daemon run holds the snapshots of the clusters still in flight, not of the whole fleet.
 * Real transports: replayed demo nodes, and an ssh node whose port never speaks SSH.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { auditClusters, auditEachCluster, loadRulesFor } from '../../src/audit/audit.js';
import { generateKey, sshdAvailable, sshdSkipReason } from '../helpers/sshd.js';

const REPO = path.resolve(__dirname, '../..');
const keygenIt = sshdAvailable ? it : it.skip;
const suffix = sshdAvailable ? '' : ` [${sshdSkipReason}]`;

describe('auditEachCluster', () => {
  let dir: string;
  let silent: Server;
  let loaded: LoadedConfig;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-audit-'));
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    if (sshdAvailable) generateKey(path.join(dir, 'id_ed25519'));
    writeFileSync(path.join(dir, 'known_hosts'), '');
    const replay = (name: string, fixture: string) =>
      `      - { name: ${name}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', fixture)} }`;
    const config = path.join(dir, 'driftd.yaml');
    writeFileSync(
      config,
      [
        `database: ${path.join(dir, 'history.db')}`,
        'ssh:',
        `  identityFile: ${path.join(dir, 'id_ed25519')}`,
        `  knownHosts: ${path.join(dir, 'known_hosts')}`,
        '  connectTimeoutSeconds: 2',
        'clusters:',
        // Listed first, finished last: its second node waits for the connect timeout.
        '  - name: slow',
        '    files: [/etc/hosts, /etc/sysctl.d/*.conf, /etc/corosync/corosync.conf]',
        '    nodes:',
        replay('slow-a', 'erp-a'),
        `      - { name: slow-mute, host: 127.0.0.1, port: ${port} }`,
        '  - name: fast',
        '    files: [/etc/hosts, /etc/sysctl.d/*.conf, /etc/corosync/corosync.conf]',
        '    nodes:',
        replay('fast-a', 'erp-a'),
        replay('fast-c', 'erp-c'),
        '',
      ].join('\n'),
    );
    loaded = loadConfig(config);
  });

  afterAll(() => {
    silent?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const options = (events: string[]) => ({
    loaded,
    rules: loadRulesFor(loaded).rules,
    clusters: loaded.config.clusters,
    now: () => new Date(),
    onNodeDone: (target: { node: { name: string } }) => events.push(`collected ${target.node.name}`),
  });

  keygenIt(`judges and hands over a cluster as soon as its own nodes are in; results keep config order${suffix}`, async () => {
    const events: string[] = [];
    const results = await auditEachCluster(options(events), (audit) => {
      events.push(`consumed ${audit.cluster.name}`);
      return {
        name: audit.cluster.name,
        nodes: audit.snapshots.map((s) => s.node),
        ready: audit.report.ready,
        unreachable: audit.snapshots.filter((s) => s.error).map((s) => s.node),
      };
    });
    expect(events.indexOf('consumed fast')).toBeGreaterThan(events.indexOf('collected fast-c'));
    expect(events.indexOf('consumed fast')).toBeLessThan(events.indexOf('collected slow-mute'));
    expect(events.at(-1)).toBe('consumed slow');
    expect(results).toEqual([
      { name: 'slow', nodes: ['slow-a', 'slow-mute'], ready: false, unreachable: ['slow-mute'] },
      // erp-c carries the demo's seeded drift.
      { name: 'fast', nodes: ['fast-a', 'fast-c'], ready: false, unreachable: [] },
    ]);
  });

  keygenIt(`a cluster whose consumer throws does not stop the others; the error comes back at the end${suffix}`, async () => {
    const consumed: string[] = [];
    const attempt = auditEachCluster(options([]), (audit) => {
      if (audit.cluster.name === 'fast') throw new Error('disk full while storing fast');
      consumed.push(audit.cluster.name);
      return audit.cluster.name;
    });
    await expect(attempt).rejects.toThrow('disk full while storing fast');
    expect(consumed).toEqual(['slow']);
  });

  keygenIt(`a consumer's promise that rejects before the caller awaits it is not an unhandled rejection${suffix}`, async () => {
    // The daemon stores each cluster as it comes in and awaits every save at the end: a
    // save that failed early (PostgreSQL gone) was logged as "unhandled rejection".
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const saves = await auditEachCluster(options([]), (audit) =>
        audit.cluster.name === 'fast' ? Promise.reject(new Error('store unreachable')) : Promise.resolve(audit.cluster.name),
      );
      // `fast` is consumed while `slow` still waits for its mute node: its rejection sat
      // unawaited for the rest of the collection.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      const settled = await Promise.allSettled(saves);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('an asynchronous consumer that falls behind holds the collection back (maxWaitingAudits)', async () => {
    // Three clusters of two replayed nodes, collected one node at a time: while the first
    // cluster's audit waits for its consumer, no node of the next cluster is started.
    const file = path.join(dir, 'backpressure.yaml');
    const replay = (name: string, fixture: string) =>
      `      - { name: ${name}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', fixture)} }`;
    writeFileSync(
      file,
      [
        `database: ${path.join(dir, 'backpressure.db')}`,
        'concurrency: 1',
        'failover: { simulate: false }',
        'clusters:',
        ...['b1', 'b2', 'b3'].flatMap((c) => [
          `  - name: ${c}`,
          '    facets: [os]',
          '    nodes:',
          replay(`${c}-a`, 'erp-a'),
          replay(`${c}-b`, 'erp-b'),
        ]),
        '',
      ].join('\n'),
    );
    const config = loadConfig(file);
    const events: string[] = [];
    const saves = await auditEachCluster(
      {
        loaded: config,
        rules: loadRulesFor(config).rules,
        clusters: config.config.clusters,
        now: () => new Date(),
        maxWaitingAudits: 1,
        onNodeDone: (target) => events.push(`collected ${target.node.name}`),
      },
      (audit) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            events.push(`stored ${audit.cluster.name}`);
            resolve();
          }, 200),
        ),
    );
    await Promise.all(saves);
    expect(events).toEqual([
      'collected b1-a',
      'collected b1-b',
      'stored b1',
      'collected b2-a',
      'collected b2-b',
      'stored b2',
      'collected b3-a',
      'collected b3-b',
      'stored b3',
    ]);
  });

  keygenIt(`auditClusters keeps every audit with its snapshots, in config order${suffix}`, async () => {
    const audits = await auditClusters(options([]));
    expect(audits.map((a) => [a.cluster.name, a.snapshots.map((s) => s.node)])).toEqual([
      ['slow', ['slow-a', 'slow-mute']],
      ['fast', ['fast-a', 'fast-c']],
    ]);
    expect(audits[1]?.report.findings.some((f) => f.key === 'openssl' && f.outliers.includes('fast-c'))).toBe(true);
  });
});
