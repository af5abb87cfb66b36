/**
 * README's facet table is where users learn what each facet reads; every collector's
 * `description` is that row's "source" cell, so the table cannot lose or misname a facet
 * and a collector's description cannot drift from what users read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../src/collectors/registry.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');
const HEADER = '| facet | source | items |';

/** facet name -> its row's cells, from the README table under HEADER. */
function facetRows(): Map<string, string[]> {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.indexOf(HEADER);
  expect(start, `README.md has no facet table (a line "${HEADER}")`).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .trim()
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.set((cells[0] ?? '').replace(/^`|`$/g, ''), cells);
  }
  return rows;
}

describe('README facet table and the collectors', () => {
  const rows = facetRows();

  it.each(COLLECTORS.map((c) => [c.name, c] as const))('%s: a row whose source is the collector description', (name, collector) => {
    const row = rows.get(name);
    expect(row, `README.md facet table: add a row "| \`${name}\` | ${collector.description} | <items> |"`).toBeDefined();
    expect(row?.[1], `README.md facet table row \`${name}\`: its source cell and src/collectors/${name}.ts description must be equal`).toBe(
      collector.description,
    );
    expect(row?.[2], `README.md facet table row \`${name}\`: the items cell is empty`).toBeTruthy();
  });

  it('every row names a collector', () => {
    const names = new Set<string>(COLLECTORS.map((c) => c.name));
    expect([...rows.keys()].filter((name) => !names.has(name))).toEqual([]);
  });
});
