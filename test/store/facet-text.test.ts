/**
 * facetText is a faster canonicalJson(facetContent(facet)); the two must agree on every
 * input, the facet shape and anything outside it (which takes the generic path).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, facetContent, type FacetSnapshot } from '../../src/core/snapshot.js';
import { packDurations, unpackDurations } from '../../src/store/durations.js';
import { facetText } from '../../src/store/facet-text.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', '"', '\\', '\u2028', 'é', '😀', '\u0000'));
const odd = fc.oneof(fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }));
const item = fc.record(
  { value: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: odd }), content: text, nodeSpecific: text, extra: odd },
  { requiredKeys: [] },
);
const facet = fc.record(
  {
    status: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('ok', 'error', 'unsupported', 'truncated') }, { weight: 1, arbitrary: odd }),
    items: fc.oneof({ weight: 8, arbitrary: fc.dictionary(text, item, { maxKeys: 8 }) }, { weight: 1, arbitrary: odd }),
    error: fc.oneof(text, odd),
    meta: fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(text, text, { maxKeys: 3 }) },
      { weight: 1, arbitrary: fc.dictionary(text, odd, { maxKeys: 2 }) },
    ),
    durationMs: fc.integer({ min: 0, max: 10_000 }),
    other: odd,
  },
  { requiredKeys: ['status', 'items'] },
);

describe('facetText', () => {
  it('equals canonicalJson(facetContent(facet)) on any input', () => {
    fc.assert(
      fc.property(facet, (f) => {
        const input = f as unknown as FacetSnapshot;
        expect(facetText(input)).toBe(canonicalJson(facetContent(input)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('on a realistic facet too', () => {
    const items: FacetSnapshot['items'] = {};
    for (let i = 0; i < 500; i += 1)
      items[`pkg-${(i * 7919) % 1000}`] =
        i % 50 === 0 ? { value: `${i}`, content: `line\n${i}`, nodeSpecific: 'host' } : { value: `1.${i}-1` };
    const f: FacetSnapshot = { status: 'ok', items, meta: { format: 'deb' }, durationMs: 31 };
    expect(facetText(f)).toBe(canonicalJson(facetContent(f)));
  });
});

describe('packed durations', () => {
  it('round-trip whole milliseconds, negatives, large values and absences', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), { nil: null }), { maxLength: 12 }), (values) => {
        const packed = packDurations(values);
        expect(unpackDurations(packed, values.length)).toEqual(values);
        if (values.every((v) => v === null)) expect(packed).toBeNull();
      }),
    );
    expect(packDurations([40, 5, 5, 5, 5, 5, 5, 5, 5, 5])?.length).toBe(10);
  });
});
