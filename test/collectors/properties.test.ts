/** No parser throws, whatever a node (or a broken transport) sends back. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { filesCollector } from '../../src/collectors/files.js';
import { kernelCollector } from '../../src/collectors/kernel.js';
import { modulesCollector } from '../../src/collectors/modules.js';
import { osCollector } from '../../src/collectors/os.js';
import { packagesCollector } from '../../src/collectors/packages.js';
import { servicesCollector } from '../../src/collectors/services.js';
import { sysctlCollector } from '../../src/collectors/sysctl.js';

const COLLECTORS = [osCollector, kernelCollector, packagesCollector, modulesCollector, sysctlCollector, servicesCollector, filesCollector];
const CTX = { ...DEFAULT_COLLECTOR_CONTEXT, files: ['/etc/*'], sysctlAllow: [], sysctlDeny: ['net.*'] };

/** Text shaped like the real outputs (tabs, ` = `, newlines) more often than uniform noise. */
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.array(fc.oneof(fc.constantFrom('\t', ' = ', '\n', 'ii ', 'file', 'absent', '=', '"', "'", '--', 'L2V0Yw==', '0644'), fc.string()), { maxLength: 40 }).map((parts) => parts.join('')),
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
        expect(['ok', 'unsupported', 'error', 'truncated']).toContain(facet.status);
        if (facet.status === 'unsupported' || facet.status === 'error') expect(facet.error).toBeTruthy();
        for (const item of Object.values(facet.items)) expect(typeof item.value).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
