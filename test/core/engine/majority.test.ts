import { describe, expect, it } from 'vitest';
import { judge, type Vote } from '../../../src/core/engine/majority.js';

function votes(spec: Record<string, string | null>): Vote[] {
  return Object.entries(spec).map(([node, value]) => ({ node, value }));
}

describe('judge', () => {
  it.each([
    ['2 nodes: nobody can be right', { a: '1', b: '2' }, undefined, { decided: false, reference: null, outliers: ['a', 'b'] }],
    ['3 nodes, 2 agree', { a: '1', b: '1', c: '2' }, undefined, { decided: true, reference: '1', outliers: ['c'] }],
    ['3 nodes, all differ', { a: '1', b: '2', c: '3' }, undefined, { decided: false, reference: null, outliers: ['a', 'b', 'c'] }],
    ['4 nodes, 3 agree', { a: '1', b: '1', c: '2', d: '1' }, undefined, { decided: true, reference: '1', outliers: ['c'] }],
    [
      '4 nodes, 2-2 tie',
      { a: '1', b: '1', c: '2', d: '2' },
      undefined,
      { decided: false, reference: null, outliers: ['a', 'b', 'c', 'd'] },
    ],
    [
      '4 nodes, 2-1-1: no strict majority',
      { a: '1', b: '1', c: '2', d: '3' },
      undefined,
      { decided: false, reference: null, outliers: ['a', 'b', 'c', 'd'] },
    ],
    ['absence can be the majority', { a: null, b: null, c: 'x' }, undefined, { decided: true, reference: null, outliers: ['c'] }],
    [
      'baseline decides even against the majority',
      { a: '1', b: '2', c: '2' },
      'a',
      { decided: true, reference: '1', outliers: ['b', 'c'] },
    ],
    ['baseline decides a 2-node cluster', { a: '1', b: '2' }, 'b', { decided: true, reference: '2', outliers: ['a'] }],
    ['baseline absent from the vote: majority again', { a: '1', b: '1', c: '2' }, 'z', { decided: true, reference: '1', outliers: ['c'] }],
  ])('%s', (_name, spec, baseline, expected) => {
    expect(judge(votes(spec), baseline)).toMatchObject(expected);
  });

  it('names a node holding the reference value, for diffs', () => {
    expect(judge(votes({ a: '2', b: '1', c: '1' })).referenceNode).toBe('b');
    expect(judge(votes({ a: '1', b: '2', c: '2' }), 'a').referenceNode).toBe('a');
  });
});
