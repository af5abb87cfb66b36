/**
 * SBD, the fencing that Pacemaker clusters on SUSE (and many others) rely on: its
 * sysconfig file (/etc/sysconfig/sbd on SUSE and RHEL, /etc/default/sbd on Debian) and,
 * for disk-based SBD, the timeouts written in each device's header (`sbd -d DEV dump`).
 * Read into the pacemaker facet as `sbd.<VAR>` and `sbd.msgwait`, `sbd.watchdog`, so the
 * fencing timeouts can be judged against the CIB's stonith-timeout.
 */

export const SBD_COMMAND = 'pacemaker-sbd';
export const SBD_FILE_MARKER = 'driftd-sbd-file: ';
export const SBD_DUMP_MARKER = 'driftd-sbd-dump: ';

/**
 * Constant script. The file is never sourced (it is shell, and a node's file is not ours
 * to run): SBD_DEVICE is read with sed, and each device path reaches `sbd` quoted.
 * Exit 0 with no output when SBD is not configured.
 */
export const SBD_SCRIPT = [
  'for f in /etc/sysconfig/sbd /etc/default/sbd; do',
  '  [ -r "$f" ] || continue',
  `  printf '${SBD_FILE_MARKER}%s\\n' "$f"; cat "$f"; printf '\\n'`,
  // SBD_DEVICE as parseSbd reads it: `export` allowed; a quoted value up to its closing
  // quote; a bare one without a ` # comment` (spaces go below).
  String.raw`  devs=$(sed -n 's/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}SBD_DEVICE=//p' "$f" | tail -n 1 |`,
  String.raw`    sed -e "s/^[[:space:]]*\"\([^\"]*\)\".*/\1/" -e t -e "s/^[[:space:]]*'\([^']*\)'.*/\1/" -e t -e 's/[[:space:]]\{1,\}#.*//')`,
  '  [ -x /usr/sbin/sbd ] || exit 0',
  'set -f',
  "  old=$IFS; IFS=';'",
  '  for d in $devs; do',
  '    IFS=$old',
  '    d=$(printf %s "$d" | tr -d \'[:space:]\')',
  '    [ -n "$d" ] || continue',
  `    printf '${SBD_DUMP_MARKER}%s\\n' "$d"; /usr/sbin/sbd -d "$d" dump 2>&1; printf '\\n'`,
  '  done',
  '  exit 0',
  'done',
  'exit 0',
].join('\n');

export interface SbdParse {
  /** The sysconfig variables, unquoted, as `SBD_WATCHDOG_TIMEOUT` -> `5`. */
  variables: Record<string, string>;
  /** Header timeouts of the first device that answered: `msgwait`, `watchdog`, ... in seconds. */
  header: Record<string, string>;
  file?: string;
}

/** As the shell reads one value: quoted up to the closing quote (a comment may follow), bare up to ` #`. */
function unquote(raw: string): string {
  const v = raw.trim();
  const quote = v[0];
  if (quote === '"' || quote === "'") {
    const end = v.indexOf(quote, 1);
    if (end !== -1) return v.slice(1, end);
  }
  return v.replace(/\s+#.*$/, '');
}

/** Pure and total: unknown lines are skipped. */
export function parseSbd(text: string): SbdParse {
  const out: SbdParse = { variables: {}, header: {} };
  let mode: 'none' | 'file' | 'dump' = 'none';
  let dumped = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith(SBD_FILE_MARKER)) {
      if (out.file === undefined) out.file = line.slice(SBD_FILE_MARKER.length);
      mode = out.file === line.slice(SBD_FILE_MARKER.length) ? 'file' : 'none';
      continue;
    }
    if (line.startsWith(SBD_DUMP_MARKER)) {
      mode = dumped ? 'none' : 'dump';
      continue;
    }
    if (mode === 'file') {
      const m = /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m && m[1] !== undefined && m[2] !== undefined) out.variables[m[1]] = unquote(m[2]);
    } else if (mode === 'dump') {
      // `Timeout (msgwait)  : 10`, as sbd prints its header.
      const m = /^\s*Timeout \(([a-z_-]+)\)\s*:\s*(\d+)\s*$/.exec(line);
      if (m && m[1] !== undefined && m[2] !== undefined) {
        out.header[m[1]] = m[2];
        dumped = true;
      }
    }
  }
  return out;
}
