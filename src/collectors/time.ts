/**
 * time: which daemon keeps the clock (chrony, ntpd, systemd-timesyncd), whether the
 * clock is synchronised now, the configured time servers and the time zone. A node
 * whose clock runs free drifts away from its peers: cluster logs, lease and
 * failure-timeout arithmetic and anything with tokens (Kerberos, TLS) go wrong.
 *
 * Items:
 * - `daemon` -> chrony | ntpd | systemd-timesyncd | none (compared between peers)
 * - `synchronised` -> `yes`, or `no: <why>`; node-specific (each node's own clock),
 *   judged on every node by the `time-synchronised` rule (rules/time.yaml)
 * - `config.chrony`, `config.ntpd`, `config.timesyncd` -> the server/pool/peer (NTP=)
 *   lines of that daemon's configuration, sorted (compared)
 * - `timezone` -> the zone name (compared)
 * Volatile state (offsets, stratum, the selected source of a pool) is not kept.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { firstLine, normaliseWhitespace, okFacet, shArgv, unsupportedFacet } from './util.js';
import { isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type OutputVerdict, type Outputs } from './output.js';

export const TIME_TIMEDATECTL_ID = 'time-timedatectl';
export const TIME_CHRONY_TRACKING_ID = 'time-chrony-tracking';
export const TIME_CHRONY_SOURCES_ID = 'time-chrony-sources';
export const TIME_NTPQ_ID = 'time-ntpq';
export const TIME_CONFIG_ID = 'time-config';

const MAX_BYTES = 1024 * 1024;

/** The server lines of every time daemon's configuration, each prefixed by its file. */
const CONFIG_SCRIPT = [
  'for f in /etc/chrony/chrony.conf /etc/chrony.conf /etc/chrony/conf.d/*.conf /etc/chrony/sources.d/*.sources \\',
  '  /etc/ntp.conf /etc/ntpsec/ntp.conf /etc/systemd/timesyncd.conf /etc/systemd/timesyncd.conf.d/*.conf; do',
  '  [ -f "$f" ] || continue',
  '  grep -E \'^[[:space:]]*(server|pool|peer|NTP=|FallbackNTP=)\' "$f" 2>/dev/null | while IFS= read -r l; do printf \'%s: %s\\n\' "$f" "$l"; done',
  'done',
  'if l=$(readlink /etc/localtime 2>/dev/null); then printf \'localtime: %s\\n\' "$l"; fi',
  'exit 0',
].join('\n');

type Daemon = 'chrony' | 'ntpd' | 'systemd-timesyncd' | 'none';

/** `Key: value` lines of chronyc tracking, keys trimmed. */
export function parseColonPairs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

/** `Key=value` lines of `timedatectl show`. */
export function parseShow(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

/** chronyc tracking: synchronised unless the leap status says not, or there is no reference. */
export function chronySynchronised(tracking: string): string {
  const pairs = parseColonPairs(tracking);
  const leap = pairs.get('Leap status');
  if (leap === undefined) return 'no: chronyc tracking printed no leap status';
  if (/not synchronised/i.test(leap)) return 'no: chronyd is not synchronised (no usable source)';
  const ref = pairs.get('Reference ID') ?? '';
  if (/^0+\b/.test(ref)) return 'no: chronyd has no reference';
  return 'yes';
}

/** chronyc -n sources: how many sources, how many reached lately (for the "no" reason). */
export function chronySourcesSummary(sources: string): string {
  let total = 0;
  let reached = 0;
  for (const line of sources.split('\n')) {
    if (!/^[\^=#][*+\-?x~ ] /.test(line)) continue;
    total++;
    const reach = line.slice(2).trim().split(/\s+/)[3];
    if (reach !== undefined && reach !== '0') reached++;
  }
  return total === 0 ? 'no source configured' : `${total} source${total === 1 ? '' : 's'}, ${reached} reached lately`;
}

/** ntpq -pn: synchronised when a peer is the system peer (`*`) or the PPS peer (`o`). */
export function ntpqSynchronised(peers: string): string {
  const lines = peers.split('\n');
  if (lines.some((l) => l.startsWith('*') || l.startsWith('o'))) return 'yes';
  return 'no: ntpd has no system peer';
}

/** `chronyc`/`ntpq` present but their daemon not answering. */
function daemonDown(check: OutputVerdict): string | undefined {
  if (check.kind !== 'failed') return undefined;
  return /cannot talk to daemon|connection refused|could not open connection|timed out|no association/i.test(check.message)
    ? check.message
    : undefined;
}

const ZONEINFO = /^(?:\.\.\/)*(?:\/?usr\/share\/zoneinfo\/|\/?etc\/zoneinfo\/|\/?usr\/lib\/zoneinfo\/)/;

export function parseTimeConfig(lines: readonly string[]): { config: Map<string, Set<string>>; localtime?: string } {
  const config = new Map<string, Set<string>>();
  let localtime: string | undefined;
  for (const line of lines) {
    const at = line.indexOf(': ');
    if (at <= 0) continue;
    const file = line.slice(0, at);
    const text = normaliseWhitespace(line.slice(at + 2));
    if (file === 'localtime') {
      localtime = text.replace(ZONEINFO, '');
      continue;
    }
    const family = file.includes('chrony')
      ? 'chrony'
      : file.includes('timesyncd')
        ? 'timesyncd'
        : file.includes('ntp')
          ? 'ntpd'
          : undefined;
    if (family === undefined || text === '' || text.startsWith('#')) continue;
    let set = config.get(family);
    if (!set) config.set(family, (set = new Set<string>()));
    set.add(text);
  }
  return localtime === undefined ? { config } : { config, localtime };
}

export function parseTime(outputs: Outputs): ReturnType<Collector['parse']> {
  const tracking = judgeOutput(outputs, TIME_CHRONY_TRACKING_ID);
  const ntpq = judgeOutput(outputs, TIME_NTPQ_ID);
  const timedatectl = judgeOutput(outputs, TIME_TIMEDATECTL_ID);
  const show = isReadable(timedatectl) ? parseShow(timedatectl.stdout) : undefined;
  const down = [daemonDown(tracking), daemonDown(ntpq)].filter((d): d is string => d !== undefined);

  let daemon: Daemon;
  let synchronised: string;
  const used: string[] = [];
  if (isReadable(tracking)) {
    daemon = 'chrony';
    synchronised = chronySynchronised(tracking.stdout);
    used.push(TIME_CHRONY_TRACKING_ID);
    const sources = judgeOutput(outputs, TIME_CHRONY_SOURCES_ID);
    if (synchronised !== 'yes' && isReadable(sources)) synchronised += ` (${chronySourcesSummary(sources.stdout)})`;
  } else if (isReadable(ntpq)) {
    daemon = 'ntpd';
    synchronised = ntpqSynchronised(ntpq.stdout);
    used.push(TIME_NTPQ_ID);
  } else if (show && (show.has('NTP') || show.has('NTPSynchronized'))) {
    daemon = show.get('NTP') === 'yes' ? 'systemd-timesyncd' : 'none';
    const kernel = show.get('NTPSynchronized') === 'yes';
    synchronised = kernel
      ? 'yes'
      : daemon === 'none'
        ? `no: no time daemon runs${down.length > 0 ? ` (${down.join('; ')})` : ' (timedatectl: NTP=no)'}`
        : 'no: the kernel clock is not synchronised (timedatectl: NTPSynchronized=no)';
    used.push(TIME_TIMEDATECTL_ID);
  } else if (down.length > 0) {
    daemon = 'none';
    synchronised = `no: no time daemon runs (${down.join('; ')})`;
  } else {
    const why = [tracking, ntpq, timedatectl].map((c) => (isReadable(c) ? '' : c.message));
    return unsupportedFacet(`no time service answered: ${why.filter((w) => w !== '').join('; ')}`);
  }

  const items: Record<string, Item> = {
    daemon: { value: daemon },
    synchronised: { value: synchronised, nodeSpecific: "each node's own clock state; judged per node by the time-synchronised rule" },
  };
  const meta: Record<string, string> = {};
  const config = judgeOutput(outputs, TIME_CONFIG_ID);
  let localtime: string | undefined;
  if (isReadable(config)) {
    const parsed = parseTimeConfig(outputLines(config));
    for (const [family, lines] of [...parsed.config].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      items[`config.${family}`] = { value: [...lines].sort().join('\n') };
    }
    localtime = parsed.localtime;
    used.push(TIME_CONFIG_ID);
  } else {
    meta.config = `unavailable: ${config.message}`;
  }
  const zone = show?.get('Timezone') || localtime;
  if (zone) items.timezone = { value: zone };
  if (timedatectl.kind === 'failed' && show === undefined) meta.timedatectl = firstLine(timedatectl.message);
  return settleFacet(okFacet(items, Object.keys(meta).length > 0 ? meta : undefined), outputs);
}

export const timeCollector: Collector = {
  name: 'time',
  description: "`chronyc -n tracking`/`sources`, `ntpq -pn`, `timedatectl show`, the daemons' server lines, /etc/localtime",
  defaultEnabled: false,
  commands() {
    return [
      { id: TIME_TIMEDATECTL_ID, argv: shArgv('exec timedatectl show'), maxBytes: MAX_BYTES },
      { id: TIME_CHRONY_TRACKING_ID, argv: shArgv('exec chronyc -n tracking'), maxBytes: MAX_BYTES },
      { id: TIME_CHRONY_SOURCES_ID, argv: shArgv('exec chronyc -n sources'), maxBytes: MAX_BYTES },
      { id: TIME_NTPQ_ID, argv: shArgv('exec ntpq -pn'), maxBytes: MAX_BYTES },
      { id: TIME_CONFIG_ID, argv: shArgv(CONFIG_SCRIPT), maxBytes: MAX_BYTES },
    ];
  },
  parse(outputs) {
    return parseFacet('time', outputs, () => parseTime(outputs));
  },
};
