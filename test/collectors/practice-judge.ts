/** Runs one practice check's judge on a facet (helper for collector tests on real CIBs). */
import { PRACTICE_CHECKS } from '../../src/core/engine/practice.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';

export function judgePractice(name: string, facet: FacetSnapshot): string | undefined {
  const check = PRACTICE_CHECKS.find((c) => c.name === name);
  if (!check) throw new Error(`no practice check ${name}`);
  return check.judge(facet);
}
