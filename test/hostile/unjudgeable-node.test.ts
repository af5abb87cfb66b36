/**
 * Issue #22, case 1: a node whose facets all time out, are cut off, never start or fake
 * their end markers is NOT ready (it was `reachable, ready, score 0.5`, the cluster READY
 * and `collect` said "1/1 nodes collected"). Real sshd nodes; a forced command plays the
 * hostile node (test/helpers/sshd.ts hostileCommand).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';
import { hostileCommand, sshdAvailable, sshdSkipReason, startSshd, type HostileKind, type SshdServer } from '../helpers/sshd.js';
import { driftd, sshNodeYaml } from './cli-driftd.js';

const suite = sshdAvailable ? describe : describe.skip;
const KINDS: Record<string, HostileKind> = { hangs: 'hang', starts: 'start-then-hang', fakes: 'fake-markers' };

suite(sshdAvailable ? 'a node that cannot be judged is never ready' : `unjudgeable nodes (${sshdSkipReason})`, () => {
  let dir: string;
  let good: SshdServer;
  const hostile = new Map<string, SshdServer>();
  let config: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-unjudgeable-'));
    good = await startSshd({ host: '127.0.0.1' });
    for (const [name, kind] of Object.entries(KINDS)) {
      hostile.set(name, await startSshd({ host: '127.0.0.1', authorizedKeyOptions: hostileCommand(dir, name, kind) }));
    }
    config = path.join(dir, 'driftd.yaml');
    writeFileSync(
      config,
      [
        // Honest nodes get time to spare on a loaded machine; hostile ones time out after 3 s.
        'ssh: { connectTimeoutSeconds: 10, commandTimeoutSeconds: 60 }',
        'clusters:',
        '  - name: honest',
        '    facets: [os, kernel, packages]',
        '    nodes:',
        sshNodeYaml('good', good),
        ...[...hostile.keys()].flatMap((name) => [
          `  - name: with-${name}`,
          '    facets: [os, kernel, packages]',
          '    nodes:',
          sshNodeYaml(`good-${name}`, good),
          sshNodeYaml(name, hostile.get(name) as SshdServer, 'commandTimeoutSeconds: 3'),
        ]),
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await good?.stop();
    for (const s of hostile.values()) await s.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('control: the honest cluster is ready (check exit 0)', async () => {
    const result = await driftd(['check', '--config', config, '--cluster', 'honest', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(CheckReportSchema.parse(JSON.parse(result.stdout)).ready).toBe(true);
  }, 60_000);

  for (const name of Object.keys(KINDS)) {
    it(`${name}: the node is not ready, says why per facet, and the cluster is NOT ready (check exit 1)`, async () => {
      const result = await driftd(['check', '--config', config, '--cluster', `with-${name}`, '--json']);
      const report = CheckReportSchema.parse(JSON.parse(result.stdout));
      const node = report.nodes.find((n) => n.name === name);
      expect(node?.ready).toBe(false);
      expect(Object.values(node?.facets ?? {}).every((s) => s === 'error')).toBe(true);
      const why = (node?.contributions ?? []).filter((c) => c.effect === 'not-ready').map((c) => c.finding);
      expect(why).toEqual(['facet:os:error', 'facet:kernel:error', 'facet:packages:error']);
      for (const c of node?.contributions ?? []) expect(c.message).toMatch(/timeout|cut|not ready/);
      expect(report.nodes.find((n) => n.name === `good-${name}`)?.ready).toBe(true);
      expect(report.ready).toBe(false);
      expect(result.code).toBe(1);
    }, 60_000);
  }

  it('collect counts such a node as failed (exit 1) and says so in the footer', async () => {
    const result = await driftd(['collect', '--config', config, '--cluster', 'with-hangs', '--no-progress']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/1\/2 nodes collected, 1 with facets that could not be read/);
    expect(result.stdout).not.toMatch(/2\/2 nodes collected/);
  }, 60_000);
});
