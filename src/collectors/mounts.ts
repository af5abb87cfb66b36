/**
 * mounts: /etc/fstab against what is mounted (/proc/self/mountinfo).
 *
 * - `fstab.<mountpoint>` -> `<type> <options> <dump> <pass>` (source: `/etc/fstab:<line>`)
 *   and `fstab.<mountpoint>.source` -> the device spec, compared between peers. A
 *   `UUID=`/`PARTUUID=` spec (or its /dev/disk/by-uuid link) of a node's own system
 *   filesystem (/, /boot, /var, swap, ...) names that node's disk and is node-specific.
 *   Swap entries are `fstab.swap#<n>` in file order; a mount point listed twice gets `#2`.
 * - `mounted.<mountpoint>` -> `<source> <type>` for the fstab mount points mounted now:
 *   node-specific (a Pacemaker-managed filesystem is mounted on the active node only),
 *   read by the runtime check (src/core/engine/runtime.ts): an fstab entry without
 *   `noauto` that is not mounted is what the next boot does differently.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { normaliseWhitespace, okFacet } from './util.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const MOUNTS_FSTAB_ID = 'mounts-fstab';
export const MOUNTS_MOUNTINFO_ID = 'mounts-mountinfo';
export const FSTAB_PREFIX = 'fstab.';
export const MOUNTED_PREFIX = 'mounted.';
export const SOURCE_SUFFIX = '.source';

const MAX_BYTES = 4 * 1024 * 1024;

/** Mount points of a node's own system disks: a UUID there names this node's disk. */
const SYSTEM_MOUNTPOINTS = new Set(['/', '/boot', '/boot/efi', '/efi', '/home', '/tmp', '/usr', '/var', '/var/log', '/var/tmp', '/opt']);

const MOUNTED_NODE_SPECIFIC = 'what is mounted differs between active and standby (Pacemaker mounts shared filesystems on one node)';
const DISK_ID_NODE_SPECIFIC = 'the UUID of a node-local system disk differs on every node';

export interface FstabEntry {
  spec: string;
  file: string;
  type: string;
  options: string;
  dump: string;
  pass: string;
  line: number;
}

/** fstab(5) and mountinfo escape blanks and backslashes as `\040`-style octal. */
export function unescapeOctal(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseFstab(lines: readonly string[]): { entries: FstabEntry[]; malformed: number[] } {
  const entries: FstabEntry[] = [];
  const malformed: number[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/);
    const [spec, file, type, options = 'defaults', dump = '0', pass = '0'] = fields;
    if (spec === undefined || file === undefined || type === undefined) {
      malformed.push(index + 1);
      return;
    }
    entries.push({ spec: unescapeOctal(spec), file: unescapeOctal(file), type, options, dump, pass, line: index + 1 });
  });
  return { entries, malformed };
}

/** Mount point -> `<source> <type>` of the last mount on it (the one visible). */
export function parseMountinfo(lines: readonly string[]): Map<string, string> {
  const mounted = new Map<string, string>();
  for (const line of lines) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    const mountPoint = fields[4];
    const type = dash >= 0 ? fields[dash + 1] : undefined;
    const source = dash >= 0 ? fields[dash + 2] : undefined;
    if (mountPoint === undefined || type === undefined || source === undefined) continue;
    mounted.set(unescapeOctal(mountPoint), `${unescapeOctal(source)} ${type}`);
  }
  return mounted;
}

export function isSwap(entry: Pick<FstabEntry, 'type'>): boolean {
  return entry.type === 'swap';
}

function isDiskId(spec: string): boolean {
  return /^(UUID|PARTUUID)=/i.test(spec) || /^\/dev\/disk\/by-(uuid|partuuid)\//.test(spec);
}

/** The fstab options as a set of names (`noauto`, `x-systemd.automount`, ...). */
export function optionNames(options: string): Set<string> {
  return new Set(options.split(',').map((o) => o.split('=')[0] ?? ''));
}

function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}

export function parseMounts(outputs: Outputs): ReturnType<Collector['parse']> {
  const fstab = judgeOutput(outputs, MOUNTS_FSTAB_ID);
  if (!isReadable(fstab)) return facetOf(fstab);
  const parsed = parseFstab(outputLines(fstab));
  const items: Record<string, Item> = {};
  const meta: Record<string, string> = {};
  const counts = new Map<string, number>();
  let swaps = 0;
  const mountPoints: string[] = [];
  for (const entry of parsed.entries) {
    let base: string;
    if (isSwap(entry)) {
      swaps++;
      base = `${FSTAB_PREFIX}swap#${swaps}`;
    } else {
      const file = normalisePath(entry.file);
      const seen = (counts.get(file) ?? 0) + 1;
      counts.set(file, seen);
      base = `${FSTAB_PREFIX}${file}${seen > 1 ? `#${seen}` : ''}`;
      if (seen === 1) mountPoints.push(file);
    }
    items[base] = {
      value: normaliseWhitespace(`${entry.type} ${entry.options} ${entry.dump} ${entry.pass}`),
      source: `/etc/fstab:${entry.line}`,
    };
    const local = isDiskId(entry.spec) && (isSwap(entry) || SYSTEM_MOUNTPOINTS.has(normalisePath(entry.file)));
    items[`${base}${SOURCE_SUFFIX}`] = local ? { value: entry.spec, nodeSpecific: DISK_ID_NODE_SPECIFIC } : { value: entry.spec };
  }
  if (parsed.malformed.length > 0) meta.fstab_malformed_lines = parsed.malformed.slice(0, 20).join(' ');
  const ids = [MOUNTS_FSTAB_ID];
  const info = judgeOutput(outputs, MOUNTS_MOUNTINFO_ID);
  if (!isReadable(info)) {
    meta.mounted = `unavailable: ${info.message}`;
  } else {
    ids.push(MOUNTS_MOUNTINFO_ID);
    meta.mounted = 'mountinfo';
    const mounted = parseMountinfo(outputLines(info));
    for (const mountPoint of mountPoints) {
      const now = mounted.get(mountPoint);
      if (now !== undefined) items[`${MOUNTED_PREFIX}${mountPoint}`] = { value: now, nodeSpecific: MOUNTED_NODE_SPECIFIC };
    }
  }
  return settleFacet(okFacet(items, meta), outputs);
}

export const mountsCollector: Collector = {
  name: 'mounts',
  description: '/etc/fstab, /proc/self/mountinfo',
  defaultEnabled: true,
  commands() {
    return [
      { id: MOUNTS_FSTAB_ID, argv: ['/bin/cat', '/etc/fstab'], maxBytes: MAX_BYTES },
      { id: MOUNTS_MOUNTINFO_ID, argv: ['/bin/cat', '/proc/self/mountinfo'], maxBytes: MAX_BYTES },
    ];
  },
  parse(outputs) {
    return parseFacet('mounts', outputs, () => parseMounts(outputs));
  },
};
