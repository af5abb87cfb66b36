/**
 * sysctl: every kernel tunable under /proc/sys, minus counters and per-boot random
 * values that differ between any two nodes (and between two runs on one node) without
 * meaning drift. The deny-list ships here; the cluster config can add to it or narrow
 * the facet to an allow-list.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector, CollectorContext } from './collector.js';
import { parseSysctlConf, SYSCTL_CONF_SCRIPT } from './sysctl-conf.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, type Outputs } from './output.js';
import { errorFacet, globToRegExp, matchesAnyGlob, normaliseWhitespace, okFacet, shArgv } from './util.js';

export const SYSCTL_COMMAND_ID = 'sysctl-all';
export const SYSCTL_CONF_COMMAND_ID = 'sysctl-conf';
/** `configured.<key>`: the value the node's sysctl files set for a key (runtime check). */
export const CONFIGURED_PREFIX = 'configured.';

/**
 * `sysctl -a` where procps is installed; otherwise the same `key = value` lines built
 * from /proc/sys (a path's `.` becomes `/` and `/` becomes `.`, as sysctl does).
 * Unreadable keys (write-only, root-only) are skipped silently either way.
 */
const SYSCTL_SCRIPT = [
  'for s in /sbin/sysctl /usr/sbin/sysctl; do [ -x "$s" ] && exec "$s" -a 2>/dev/null; done',
  'find /proc/sys -type f 2>/dev/null | sort | while IFS= read -r f; do',
  '  k=$(printf \'%s\\n\' "${f#/proc/sys/}" | tr ./ /.)',
  '  cat "$f" 2>/dev/null | while IFS= read -r v; do printf \'%s = %s\\n\' "$k" "$v"; done',
  'done',
  'exit 0',
].join('\n');

/**
 * Volatile keys: counters, per-boot randomness, runtime auto-tuning, and secrets that
 * must not be stored (the TCP Fast Open key, the RSS hash key, IPv6 stable secrets).
 */
export const SYSCTL_VOLATILE_DENY: readonly string[] = [
  'kernel.random.*',
  'fs.dentry-state',
  'fs.inode-nr',
  'fs.inode-state',
  'fs.file-nr',
  'fs.aio-nr',
  'fs.quota.*',
  'fs.fscache.*',
  'kernel.ns_last_pid',
  'kernel.pty.nr',
  'kernel.perf_event_max_sample_rate',
  'kernel.sched_domain.*',
  'net.netfilter.nf_conntrack_count',
  'net.ipv4.tcp_fastopen_key',
  'net.core.netdev_rss_key',
  'net.ipv6.conf.*.stable_secret',
  'dev.cdrom.info',
  'dev.cdrom.*autoclose',
  'fs.binfmt_misc.*',
  // Deprecated jiffies twins of the *_ms keys: `sysctl -a` hides them, the /proc/sys
  // walk does not, so dropping them keeps both collection paths comparable.
  'net.ipv4.neigh.*.base_reachable_time',
  'net.ipv4.neigh.*.retrans_time',
  'net.ipv6.neigh.*.base_reachable_time',
  'net.ipv6.neigh.*.retrans_time',
];

/** Compared never, recorded always: they are this node's names. */
const NODE_SPECIFIC_KEYS: Record<string, string> = {
  'kernel.hostname': 'the hostname names the node',
  'kernel.domainname': 'the NIS domain name is set per node',
};

const SHIPPED_DENY = SYSCTL_VOLATILE_DENY.map(globToRegExp);

/** A set of deny and allow globs, compiled, with the verdicts it has given per key. */
interface KeyFilter {
  deny: RegExp[];
  allow: RegExp[];
  verdicts: Map<string, boolean>;
}

const filters = new Map<string, KeyFilter>();
/** Bounds on the memo: glob sets (one per config) and keys per set (a node prints ~2000; a hostile one may invent more). */
const MAX_FILTERS = 16;
const MAX_VERDICTS = 100_000;

/**
 * Whether a key is kept: not denied (shipped and configured globs) and, with an allow
 * list, allowed. Every node of a fleet prints the same few thousand keys, so each key is
 * weighed against the ~40 globs once per glob set, not once per node (it was the
 * largest cost of parsing a fleet's outputs).
 */
function keyFilter(ctx: Pick<CollectorContext, 'sysctlAllow' | 'sysctlDeny'>): (key: string) => boolean {
  const signature = JSON.stringify([ctx.sysctlDeny, ctx.sysctlAllow]);
  let filter = filters.get(signature);
  if (!filter) {
    if (filters.size >= MAX_FILTERS) filters.clear();
    filter = {
      deny: [...SHIPPED_DENY, ...ctx.sysctlDeny.map(globToRegExp)],
      allow: ctx.sysctlAllow.map(globToRegExp),
      verdicts: new Map(),
    };
    filters.set(signature, filter);
  }
  const { deny, allow, verdicts } = filter;
  return (key) => {
    let kept = verdicts.get(key);
    if (kept === undefined) {
      kept = !matchesAnyGlob(key, deny) && (allow.length === 0 || matchesAnyGlob(key, allow));
      if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
      verdicts.set(key, kept);
    }
    return kept;
  };
}

export function parseSysctlLines(
  lines: readonly string[],
  ctx: Pick<CollectorContext, 'sysctlAllow' | 'sysctlDeny'>,
): { ok: true; items: Record<string, Item> } | { ok: false; line: number; text: string } {
  const kept = keyFilter(ctx);
  const values = new Map<string, string[]>();
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const eq = line.indexOf(' = ');
    // `key =` with an empty value prints without the trailing space.
    const bare = eq === -1 && line.endsWith(' =') ? line.length - 2 : -1;
    const at = eq !== -1 ? eq : bare;
    if (at <= 0) return { ok: false, line: index + 1, text: line };
    const key = line.slice(0, at).trim();
    if (!/^[^\s=]+$/.test(key)) return { ok: false, line: index + 1, text: line };
    const value = eq !== -1 ? normaliseWhitespace(line.slice(eq + 3)) : '';
    if (!kept(key)) continue;
    // Multi-line values come as one `key = line` per line: keep them together.
    // Appended in place: copying the list per repeat was quadratic on a hostile node.
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  const items: Record<string, Item> = {};
  for (const [key, parts] of values) {
    const value = parts.join('\n');
    const reason = NODE_SPECIFIC_KEYS[key];
    items[key] = reason ? { value, nodeSpecific: reason } : { value };
  }
  return { ok: true, items };
}

export const sysctlCollector: Collector = {
  name: 'sysctl',
  description: '`sysctl -a` or a /proc/sys walk; the sysctl.d files and /etc/sysctl.conf',
  defaultEnabled: true,
  commands() {
    return [
      { id: SYSCTL_COMMAND_ID, argv: shArgv(SYSCTL_SCRIPT), maxBytes: 4 * 1024 * 1024 },
      { id: SYSCTL_CONF_COMMAND_ID, argv: shArgv(SYSCTL_CONF_SCRIPT), maxBytes: 4 * 1024 * 1024 },
    ];
  },
  parse(outputs, ctx) {
    return parseFacet('sysctl', outputs, () => {
      const all = judgeOutput(outputs, SYSCTL_COMMAND_ID);
      if (!isReadable(all)) return facetOf(all);
      const lines = outputLines(all);
      // sysctl -a always prints hundreds of keys; nothing at all means /proc/sys was unreadable.
      if (lines.every((l) => l.trim() === '')) return errorFacet(`${SYSCTL_COMMAND_ID}: no keys read from /proc/sys`);
      const parsed = parseSysctlLines(lines, ctx);
      if (!parsed.ok) {
        return errorFacet(`${SYSCTL_COMMAND_ID}: line ${parsed.line}: not a "key = value" line: ${parsed.text.slice(0, 120)}`);
      }
      const meta: Record<string, string> = {};
      const configured = configuredItems(outputs, ctx, meta);
      // Added in place: the configured keys are prefixed, so none replaces a live one, and
      // spreading the live keys into a new object copied thousands of them per node.
      return okFacet(Object.assign(parsed.items, configured), Object.keys(meta).length > 0 ? meta : undefined);
    });
  },
};

/**
 * The sysctl files' values as `configured.<key>` items, each with the `file:line` that
 * sets it. Without the command's output (an older recording, a failed read) the live
 * values are still worth comparing, so the facet stays ok and `meta.configured` says why.
 */
function configuredItems(
  outputs: Outputs,
  ctx: Pick<CollectorContext, 'sysctlAllow' | 'sysctlDeny'>,
  meta: Record<string, string>,
): Record<string, Item> {
  const conf = judgeOutput(outputs, SYSCTL_CONF_COMMAND_ID);
  if (!isReadable(conf)) {
    meta.configured = `unavailable: ${conf.message}`;
    return {};
  }
  const parsed = parseSysctlConf(conf.kind === 'truncated' ? outputLines(conf).join('\n') : conf.stdout);
  if (parsed.unreadable.length > 0) meta.configured_unreadable = parsed.unreadable.join(' ');
  const kept = keyFilter(ctx);
  const items: Record<string, Item> = {};
  for (const a of parsed.assignments) {
    if (!kept(a.key)) continue;
    items[`${CONFIGURED_PREFIX}${a.key}`] = { value: a.value, source: a.source };
  }
  return items;
}
