/**
 * What the node's sysctl files would set on the next boot (or `sysctl --system`): the
 * files of sysctl.d(5), in the order procps and systemd-sysctl apply them, read by one
 * constant script, and a pure parser that says, per key, the value that wins and where.
 */

/**
 * Directories in precedence order: a file name in an earlier one hides the same name in
 * a later one. Files are then applied sorted by name, /etc/sysctl.conf last (procps
 * `sysctl --system`; systemd-sysctl reaches it through Debian's 99-sysctl.conf link).
 */
export const SYSCTL_CONF_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
] as const;
export const SYSCTL_CONF_FILE = '/etc/sysctl.conf';

/** Opens every file the script prints; a comment in sysctl syntax, so it parses as nothing. */
export const FILE_MARKER = '### driftd sysctl file: ';
export const UNREADABLE_MARKER = '### driftd sysctl unreadable: ';

export const SYSCTL_CONF_SCRIPT = [
  "tab=$(printf '\\t'); seen='/'; list=''",
  `for d in ${SYSCTL_CONF_DIRS.join(' ')}; do`,
  '  for f in "$d"/*.conf; do',
  '    [ -e "$f" ] || continue',
  '    b=${f##*/}',
  '    case "$seen" in *"/$b/"*) continue;; esac',
  '    seen="$seen$b/"',
  '    list="$list$b$tab$f',
  '"',
  '  done',
  'done',
  // A name linked to /dev/null masks the file of that name in a later directory.
  'show() {',
  '  [ -c "$1" ] && return 0',
  `  if [ -r "$1" ]; then printf '${FILE_MARKER}%s\\n' "$1"; cat "$1"; printf '\\n'`,
  `  else printf '${UNREADABLE_MARKER}%s\\n' "$1"; fi`,
  '}',
  'printf \'%s\' "$list" | LC_ALL=C sort | while IFS="$tab" read -r b f; do [ -n "$f" ] && show "$f"; done',
  `[ -f ${SYSCTL_CONF_FILE} ] && show ${SYSCTL_CONF_FILE}`,
  'exit 0',
].join('\n');

export interface SysctlAssignment {
  /** In `sysctl -a` notation (dots between levels); may hold a glob (`*`, `?`). */
  key: string;
  value: string;
  /** `path:line` of the assignment that wins. */
  source: string;
}

export interface SysctlConfParse {
  /** Per key, the last assignment in application order. Globs kept as written. */
  assignments: SysctlAssignment[];
  /** Files the script could not read: their keys are unknown, not absent. */
  unreadable: string[];
  /** Lines that are not `key = value`, which both tools skip with a warning. */
  ignored: string[];
}

/**
 * sysctl.d(5): a key may use `/` or `.` between levels. When the first separator is a
 * slash, the other slashes and dots stay as written; `sysctl -a` shows a dot inside a
 * level (a VLAN interface `eth0.100`) as `/`, so a slash key is converted by swapping.
 * Both tools write the path /proc/sys/<key>, where an empty level is no level: a leading
 * separator (`/net/ipv4/ip_forward`) or a doubled one (`kernel..pid_max`) names the same
 * key as the plain form (systemd-sysctl simplifies the path; procps just opens it).
 */
export function sysctlKeyNotation(raw: string): string {
  const slash = raw.indexOf('/');
  const dot = raw.indexOf('.');
  const dotted = slash === -1 || (dot !== -1 && dot < slash) ? raw : raw.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
  return dotted.replace(/\.{2,}/g, '.').replace(/^\./, '');
}

/** Pure and total: any text parses, odd lines land in `ignored`. */
export function parseSysctlConf(text: string): SysctlConfParse {
  const byKey = new Map<string, SysctlAssignment>();
  const unreadable: string[] = [];
  const ignored: string[] = [];
  let file = '(unnamed)';
  let lineNo = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith(FILE_MARKER)) {
      file = line.slice(FILE_MARKER.length);
      lineNo = 0;
      continue;
    }
    if (line.startsWith(UNREADABLE_MARKER)) {
      unreadable.push(line.slice(UNREADABLE_MARKER.length));
      continue;
    }
    lineNo++;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const eq = trimmed.indexOf('=');
    let rawKey = eq === -1 ? '' : trimmed.slice(0, eq).trim();
    // `-key = value`: apply, but do not fail when the key does not exist.
    if (rawKey.startsWith('-')) rawKey = rawKey.slice(1).trim();
    if (rawKey === '' || /\s/.test(rawKey)) {
      ignored.push(`${file}:${lineNo}: ${trimmed.slice(0, 120)}`);
      continue;
    }
    const key = sysctlKeyNotation(rawKey);
    if (key === '') {
      ignored.push(`${file}:${lineNo}: ${trimmed.slice(0, 120)}`);
      continue;
    }
    const value = trimmed
      .slice(eq + 1)
      .replace(/[ \t]+/g, ' ')
      .trim();
    // A later assignment replaces an earlier one; re-inserting keeps application order.
    byKey.delete(key);
    byKey.set(key, { key, value, source: `${file}:${lineNo}` });
  }
  return { assignments: [...byKey.values()], unreadable, ignored };
}
