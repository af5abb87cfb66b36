/** Unified diffs for file findings: the reference node's content against each outlier's. */
import { createTwoFilesPatch } from 'diff';

/** Keeps a finding readable and the stored report small even for a rewritten file. */
export const MAX_DIFF_CHARS = 64 * 1024;

export interface FileSide {
  node: string;
  /** Null when the file is absent on that node; undefined when no text was kept (binary, too big). */
  content: string | null | undefined;
}

export function unifiedFileDiff(
  path: string,
  reference: FileSide,
  others: readonly FileSide[],
  maxChars = MAX_DIFF_CHARS,
): string | undefined {
  if (reference.content === undefined) return undefined;
  const parts: string[] = [];
  let size = 0;
  for (const other of others) {
    if (other.node === reference.node || other.content === undefined || other.content === reference.content) continue;
    const patch = createTwoFilesPatch(
      `${reference.node}:${path}`,
      `${other.node}:${path}`,
      reference.content ?? '',
      other.content ?? '',
      reference.content === null ? '(absent)' : undefined,
      other.content === null ? '(absent)' : undefined,
      { context: 3 },
    );
    if (size + patch.length > maxChars) {
      parts.push(patch.slice(0, maxChars - size), `\n... diff truncated at ${maxChars} characters\n`);
      break;
    }
    parts.push(patch);
    size += patch.length;
  }
  return parts.length > 0 ? parts.join('') : undefined;
}
