/**
 * docs/report.schema.json is the JSON Schema of `driftd report --format json`, generated
 * from AuditReportSchema; docs/report.md describes every field. Both must follow the code.
 * Regenerate the schema file with DRIFTD_WRITE_SCHEMA=1 npx vitest run test/report/schema-doc.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditReportSchema } from '../../src/report/schema.js';

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');
const generated = `${JSON.stringify(z.toJSONSchema(AuditReportSchema, { target: 'draft-2020-12' }), null, 2)}\n`;
if (process.env['DRIFTD_WRITE_SCHEMA'] === '1') writeFileSync(path.join(DOCS, 'report.schema.json'), generated);

/** Every property path in the JSON Schema, e.g. `evidence.chain.brokenAt`, `episodes[].waiver.author`. */
function propertyPaths(schema: unknown, prefix = ''): string[] {
  if (!schema || typeof schema !== 'object') return [];
  const node = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const here = prefix ? `${prefix}.${key}` : key;
    out.push(here, ...propertyPaths(child, here));
  }
  if (node.items) out.push(...propertyPaths(node.items, `${prefix}[]`));
  for (const alt of node.anyOf ?? []) out.push(...propertyPaths(alt, prefix));
  return out;
}

describe('report JSON documentation', () => {
  it('docs/report.schema.json is the schema the code validates with', () => {
    expect(readFileSync(path.join(DOCS, 'report.schema.json'), 'utf8')).toBe(generated);
  });

  it('docs/report.md names every field of the schema', () => {
    const doc = readFileSync(path.join(DOCS, 'report.md'), 'utf8');
    const paths = [...new Set(propertyPaths(JSON.parse(generated)))];
    expect(paths.length).toBeGreaterThan(80);
    const missing = paths.filter((p) => !doc.includes(`\`${p}\``));
    expect(missing).toEqual([]);
  });
});
