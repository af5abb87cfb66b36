/**
 * Reads the shared version-ordering vectors (/work/shared/vectors, see its README.md)
 * at test time; they are deliberately not copied into this repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** `../shared/vectors` beside the project root, as the brief lays it out; DRIFTD_VECTORS_DIR overrides. */
export const vectorsDir = path.resolve(process.env.DRIFTD_VECTORS_DIR ?? path.resolve(repoRoot, '../shared/vectors'));
export const vectorsPresent = existsSync(vectorsDir);
/** Under CI the vectors are always laid out: their absence is a failure, not a skip. */
export const vectorsRequired = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

export interface VersionVector {
  a: string;
  b: string;
  expected: -1 | 0 | 1;
  line: number;
}

/** Comments and the header row are skipped; fields are not trimmed (see README on " 9:..."). */
export function readVectors(fileName: string): VersionVector[] {
  const text = readFileSync(path.join(vectorsDir, fileName), 'utf8');
  const vectors: VersionVector[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#') || line === 'a\tb\texpected') return;
    const [a, b, expected] = line.split('\t');
    if (a === undefined || b === undefined || !['-1', '0', '1'].includes(expected ?? '')) {
      throw new Error(`${fileName}:${index + 1}: malformed vector line: ${JSON.stringify(line)}`);
    }
    vectors.push({ a, b, expected: Number(expected) as -1 | 0 | 1, line: index + 1 });
  });
  return vectors;
}

/** Each vector in its listed direction and reversed, as dpkg's and APT's own tests do. */
export function bothDirections(vectors: VersionVector[]): [string, string, number, string][] {
  return vectors.flatMap((v) => [
    [v.a, v.b, v.expected, `line ${v.line}`] as [string, string, number, string],
    [v.b, v.a, -v.expected || 0, `line ${v.line} reversed`] as [string, string, number, string],
  ]);
}
