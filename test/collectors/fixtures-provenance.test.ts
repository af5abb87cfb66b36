/** Every fixture file of the host facets has a provenance row in fixtures/README.md. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixture-outputs.js';

const CLUSTER_IDS = /^(corosync|pacemaker|drbd)-/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('fixtures/README.md', () => {
  const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
  const files = walk(FIXTURES)
    .map((p) => relative(FIXTURES, p))
    .filter((p) => !p.startsWith('cluster/') && p !== 'README.md' && p !== 'demo/derive.sh')
    .filter((p) => !CLUSTER_IDS.test(p.split('/').pop() ?? ''));

  it('has fixtures to describe', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s has a row', (file) => {
    expect(readme).toContain(`| ${file} |`);
  });

  it('points to the cluster fixtures README', () => {
    expect(readme).toContain('fixtures/cluster/README.md');
  });
});
