/**
 * No parser throws, whatever a node (or a broken transport) sends back. Every collector's
 * parse runs inside the one guard (guardParse), which turns a throw into an `error` facet
 * marked as a parser crash: these properties fail on that mark, so a parser that throws
 * fails them even though production would survive it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { COLLECTORS } from '../../src/collectors/registry.js';
import { isParserCrash } from '../../src/collectors/util.js';
const CTX = { ...DEFAULT_COLLECTOR_CONTEXT, files: ['/etc/*'], sysctlAllow: [], sysctlDeny: ['net.*'] };

/** Text shaped like the real outputs (tabs, ` = `, newlines) more often than uniform noise. */
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc
    .array(fc.oneof(fc.constantFrom('\t', ' = ', '\n', 'ii ', 'file', 'absent', '=', '"', "'", '--', 'L2V0Yw==', '0644'), fc.string()), {
      maxLength: 40,
    })
    .map((parts) => parts.join('')),
);

const output: fc.Arbitrary<CommandOutput> = fc.record({
  exitCode: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
  stdout: text,
  stderr: text,
  truncated: fc.boolean(),
});

describe.each(COLLECTORS.map((c) => [c.name, c] as const))('%s parser', (_name, collector) => {
  const ids = collector.commands(CTX).map((s) => s.id);

  it('never throws and always answers with a known status', () => {
    fc.assert(
      fc.property(fc.array(output, { minLength: ids.length, maxLength: ids.length }), fc.boolean(), (outs, dropOne) => {
        const outputs: Record<string, CommandOutput> = {};
        ids.forEach((id, i) => {
          if (!(dropOne && i === 0)) outputs[id] = outs[i]!;
        });
        const facet = collector.parse(outputs, CTX);
        expect(isParserCrash(facet), facet.error).toBe(false);
        expect(['ok', 'unsupported', 'error', 'truncated']).toContain(facet.status);
        if (facet.status === 'unsupported' || facet.status === 'error') expect(facet.error).toBeTruthy();
        for (const item of Object.values(facet.items)) expect(typeof item.value).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
