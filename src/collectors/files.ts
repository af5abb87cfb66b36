/**
 * files: the configured files (paths or globs): hash, mode, owner and size, and the
 * text of small text files for unified diffs.
 *
 * Framing: one line per record, fields separated by tabs, every path and every content
 * base64-encoded, so no file name or file content can forge a record:
 *
 *     absent  <b64 pattern>
 *     file    <b64 path> <mode> <owner> <group> <size> <sha256> <b64 content | ->
 *     dir     <b64 path> <mode> <owner> <group>
 *     link    <b64 path> <b64 target>
 *     special <b64 path> <mode> <owner> <group>
 *     unreadable <b64 path>
 *
 * Content is sent only for files no larger than the cap (`-` otherwise): a cut text
 * would diff misleadingly, and the hash already compares the whole file.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector, CollectorContext } from './collector.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { errorFacet, okFacet, shArgv } from './util.js';

export const FILES_COMMAND_ID = 'files-stat';

/**
 * $1 is the content cap, then one pattern per argument. `IFS=` and the unquoted `$p`
 * give pathname expansion and nothing else: no field splitting, no other expansion.
 */
const FILES_SCRIPT = [
  'max=$1; shift',
  'b64() { printf %s "$1" | base64 -w0; }',
  'IFS=',
  'for p in "$@"; do',
  '  found=',
  '  for f in $p; do',
  '    [ -e "$f" ] || [ -L "$f" ] || continue',
  '    found=1; bf=$(b64 "$f")',
  '    if [ -L "$f" ]; then printf \'link\\t%s\\t%s\\n\' "$bf" "$(b64 "$(readlink -- "$f")")"; continue; fi',
  '    st=$(stat -c \'%a\t%U\t%G\t%s\' -- "$f" 2>/dev/null) || { printf \'unreadable\\t%s\\n\' "$bf"; continue; }',
  '    if [ -d "$f" ]; then printf \'dir\\t%s\\t%s\\n\' "$bf" "${st%\t*}"; continue; fi',
  '    if [ ! -f "$f" ]; then printf \'special\\t%s\\t%s\\n\' "$bf" "${st%\t*}"; continue; fi',
  '    h=$(sha256sum 2>/dev/null < "$f") || { printf \'unreadable\\t%s\\n\' "$bf"; continue; }',
  '    size=${st##*\t}',
  '    if [ "$size" -le "$max" ]; then c=$(base64 -w0 < "$f"); else c=-; fi',
  '    printf \'file\\t%s\\t%s\\t%s\\t%s\\n\' "$bf" "$st" "${h%% *}" "$c"',
  '  done',
  '  [ -n "$found" ] || printf \'absent\\t%s\\n\' "$(b64 "$p")"',
  'done',
  'exit 0',
].join('\n');

export const ABSENT = 'absent';
export const UNREADABLE = 'unreadable';

function decodeBase64Field(field: string | undefined): Buffer | undefined {
  if (field === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(field) || field.length % 4 !== 0) return undefined;
  return Buffer.from(field, 'base64');
}

function decodeText(field: string | undefined): string | undefined {
  const bytes = decodeBase64Field(field);
  if (!bytes) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `644` -> `0644`, `4755` -> `4755`. */
function formatMode(mode: string): string | undefined {
  return /^[0-7]{1,4}$/.test(mode) ? mode.padStart(4, '0') : undefined;
}

/** Text for diffs: valid UTF-8 without NUL bytes, else undefined (binary). */
function textContent(field: string | undefined): string | undefined {
  if (field === undefined || field === '-') return undefined;
  const text = decodeText(field);
  if (text === undefined || text.includes('\u0000')) return undefined;
  return text;
}

type RecordResult = { key: string; item: Item } | undefined;

function parseRecord(fields: readonly string[]): RecordResult {
  const [kind, b64path] = fields;
  const path = decodeText(b64path);
  if (path === undefined) return undefined;
  // Only a pattern can be empty (nothing to expand); a matched path never is.
  if (path === '' && kind !== 'absent') return undefined;
  switch (kind) {
    case 'absent':
      return fields.length === 2 ? { key: path, item: { value: ABSENT } } : undefined;
    case 'unreadable':
      return fields.length === 2 ? { key: path, item: { value: UNREADABLE } } : undefined;
    case 'link': {
      const target = decodeText(fields[2]);
      return fields.length === 3 && target !== undefined ? { key: path, item: { value: `symlink=${target}` } } : undefined;
    }
    case 'dir':
    case 'special': {
      const [, , mode, owner, group] = fields;
      const m = formatMode(mode ?? '');
      if (fields.length !== 5 || !m || !owner || !group) return undefined;
      const type = kind === 'dir' ? 'directory' : 'special';
      return { key: path, item: { value: `type=${type} mode=${m} owner=${owner}:${group}` } };
    }
    case 'file': {
      const [, , mode, owner, group, size, sha, content] = fields;
      const m = formatMode(mode ?? '');
      if (fields.length !== 8 || !m || !owner || !group || !/^\d+$/.test(size ?? '') || !/^[0-9a-f]{64}$/.test(sha ?? '')) {
        return undefined;
      }
      const value = `sha256=${sha} mode=${m} owner=${owner}:${group} size=${size}`;
      const text = textContent(content);
      return { key: path, item: text === undefined ? { value } : { value, content: text } };
    }
    default:
      return undefined;
  }
}

export const filesCollector: Collector = {
  name: 'files',
  description: "the cluster's `files:` globs",
  defaultEnabled: true,
  commands(ctx: CollectorContext) {
    if (ctx.files.length === 0) return [];
    const max = String(Math.max(0, Math.floor(ctx.fileContentMaxBytes)));
    return [{ id: FILES_COMMAND_ID, argv: shArgv(FILES_SCRIPT, max, ...ctx.files), maxBytes: 32 * 1024 * 1024 }];
  },
  parse(outputs, ctx) {
    return parseFacet('files', outputs, () => {
      if (ctx.files.length === 0) return okFacet({}, { patterns: '0' });
      const listing = judgeOutput(outputs, FILES_COMMAND_ID);
      if (!isReadable(listing)) return facetOf(listing);
      const items: Record<string, Item> = {};
      for (const [index, line] of outputLines(listing).entries()) {
        if (line === '') continue;
        const record = parseRecord(line.split('\t'));
        if (!record) return errorFacet(`${FILES_COMMAND_ID}: line ${index + 1}: malformed record: ${line.slice(0, 120)}`);
        items[record.key] = record.item;
      }
      return okFacet(items, { patterns: String(ctx.files.length) });
    });
  },
};
