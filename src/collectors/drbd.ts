/**
 * drbd facet: the effective DRBD configuration (`drbdadm dump all`, or the raw files
 * when drbdadm is missing) plus the loaded kernel module and userland versions.
 *
 * `on <host>` sections are NOT marked node-specific. Every node's configuration lists
 * every peer, identically (drbdadm refuses a resource whose sections disagree only at
 * connect time, which is too late): a peer address or disk that differs between nodes
 * is exactly the drift worth reporting. Nothing in the dump depends on which node
 * printed it; drbdadm's "ignored, not stacked" remarks are comments and dropped.
 */
import type { Collector } from './collector.js';
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import { flattenDrbd, parseDrbdConf } from './drbd-conf.js';
import {
  cutFacet,
  facetOf,
  isReadable,
  judgeOutput,
  parseFacet,
  sourceOf,
  UNSUPPORTED_EXIT,
  UNSUPPORTED_MARKER,
  type Outputs,
} from './output.js';
import { isSecretName, redactSecret } from './secrets.js';
import { errorFacet } from './util.js';

export const DRBD_DUMP_COMMAND = 'drbd-dump';
export const DRBD_KERNEL_COMMAND = 'drbd-kernel-version';
export const DRBD_USERLAND_COMMAND = 'drbd-utils-version';
export const DRBD_ADJUST_COMMAND = 'drbd-adjust-dry-run';
export const DRBD_ADJUST_MARKER = 'driftd-drbd-adjust: ';
/** Follows a resource whose dry run failed (drbdadm's exit code): not known to be in sync. */
export const DRBD_ADJUST_FAILED_MARKER = 'driftd-drbd-adjust-failed: ';
/** Per resource, what `drbdadm -d adjust` would run: the running state against the files. */
export const DRBD_ADJUST_PREFIX = 'runtime.adjust.';

export const DRBD_DUMP_SCRIPT = [
  'if [ ! -e /etc/drbd.conf ]; then',
  `  echo '${UNSUPPORTED_MARKER} no /etc/drbd.conf' >&2; exit ${UNSUPPORTED_EXIT}`,
  'fi',
  'for a in /usr/sbin/drbdadm /sbin/drbdadm; do',
  '  if [ -x "$a" ]; then echo "driftd: source=drbdadm" >&2; exec "$a" dump all; fi',
  'done',
  "echo 'driftd: source=files' >&2",
  'for f in /etc/drbd.conf /etc/drbd.d/*.conf /etc/drbd.d/*.res; do',
  '  if [ -e "$f" ]; then echo "# driftd-file: $f"; cat "$f" || exit 1; fi',
  'done',
].join('\n');

/** The module's own version file first; /proc/drbd's first line on older kernels. */
export const DRBD_KERNEL_SCRIPT = [
  'if [ -r /sys/module/drbd/version ]; then cat /sys/module/drbd/version; exit 0; fi',
  'if [ -r /proc/drbd ]; then head -n 1 /proc/drbd; exit 0; fi',
  "echo 'not loaded'",
].join('\n');

export const DRBD_USERLAND_SCRIPT = [
  'for a in /usr/sbin/drbdadm /sbin/drbdadm; do',
  '  if [ -x "$a" ]; then exec "$a" --version; fi',
  'done',
  `echo '${UNSUPPORTED_MARKER} no drbdadm' >&2; exit ${UNSUPPORTED_EXIT}`,
].join('\n');

/**
 * `drbdadm -d adjust <res>` prints the drbdsetup calls that would bring the running
 * resource in line with the configuration, and runs none of them: nothing printed means
 * in sync, unless drbdadm failed (it prints nothing then either), which is marked.
 * Only with the module loaded; otherwise there is no running state to compare.
 */
export const DRBD_ADJUST_SCRIPT = [
  'a=',
  'for x in /usr/sbin/drbdadm /sbin/drbdadm; do [ -x "$x" ] && { a=$x; break; }; done',
  '[ -n "$a" ] && [ -e /proc/drbd ] || { echo "driftd: drbd not loaded" >&2; exit 0; }',
  'for r in $("$a" sh-resources 2>/dev/null); do',
  `  printf '${DRBD_ADJUST_MARKER}%s\n' "$r"`,
  `  "$a" -d adjust "$r" 2>/dev/null || printf '${DRBD_ADJUST_FAILED_MARKER}exit %s\\n' "$?"`,
  'done',
  'exit 0',
].join('\n');

export interface DrbdAdjustParse {
  /** Resource -> pending commands (empty when in sync), secrets redacted. */
  pending: Map<string, string[]>;
  /** Resource -> why its dry run failed (`exit 10`): neither in sync nor pending, unknown. */
  failed: Map<string, string>;
}

/**
 * drbdadm prints `--shared-secret=<value>` (shell-escaped) in new-peer and net-options
 * lines: the value becomes the digest the dump's `shared-secret` item has, never itself.
 */
function redactCommand(line: string): string {
  return line.replace(/(--([A-Za-z0-9_-]+)=)((?:\\.|[^\s\\])*\\?)/g, (whole, head: string, name: string, value: string) =>
    isSecretName(name) ? `${head}${redactSecret(value.replace(/\\(.)/g, '$1'))}` : whole,
  );
}

/** Pure and total. */
export function parseDrbdAdjust(text: string): DrbdAdjustParse {
  const pending = new Map<string, string[]>();
  const failed = new Map<string, string>();
  let name: string | undefined;
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (raw.startsWith(DRBD_ADJUST_MARKER)) {
      name = raw.slice(DRBD_ADJUST_MARKER.length).trim();
      current = [];
      if (name !== '') pending.set(name, current);
      continue;
    }
    if (raw.startsWith(DRBD_ADJUST_FAILED_MARKER)) {
      if (name !== undefined && name !== '') {
        pending.delete(name);
        failed.set(name, raw.slice(DRBD_ADJUST_FAILED_MARKER.length).trim());
      }
      current = undefined;
      continue;
    }
    if (current && line !== '' && !line.startsWith('#')) current.push(redactCommand(line));
  }
  return { pending, failed };
}

/** The items; a note on the resources whose dry run failed, if any. */
function addAdjust(outputs: Outputs, items: Record<string, Item>): string | undefined {
  const verdict = judgeOutput(outputs, DRBD_ADJUST_COMMAND);
  // A cut output can end right after a resource's marker, which would read as in sync.
  if (verdict.kind === 'truncated') return 'output truncated';
  if (verdict.kind !== 'ok') return undefined;
  const { pending, failed } = parseDrbdAdjust(verdict.stdout);
  for (const [resource, commands] of pending) {
    items[`${DRBD_ADJUST_PREFIX}${resource}`] = {
      value: commands.join('\n'),
      nodeSpecific: "this node's running state against its own files, judged by the runtime check, not between peers",
    };
  }
  if (failed.size === 0) return undefined;
  return [...failed].map(([resource, why]) => `${resource} (${why})`).join(', ');
}

/** `9.2.5`, `version: 8.4.11 (api:1/proto:86-101)` or `not loaded`. */
export function parseKernelVersion(text: string): string | undefined {
  const first = text.trim().split('\n')[0]?.trim() ?? '';
  if (first === 'not loaded') return first;
  const proc = /^version:\s*(\S+)/.exec(first);
  if (proc) return proc[1];
  if (/^[0-9][0-9A-Za-z.+~_-]*$/.test(first)) return first;
  return undefined;
}

/** `drbdadm --version` prints shell-style KEY=VALUE lines. */
export function parseDrbdadmVersion(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) out[match[1]] = match[2] ?? '';
  }
  return out;
}

function addVersions(outputs: Outputs, items: Record<string, Item>): string | undefined {
  const userland = judgeOutput(outputs, DRBD_USERLAND_COMMAND);
  let kernelFromUserland: string | undefined;
  if (userland.kind === 'ok') {
    const fields = parseDrbdadmVersion(userland.stdout);
    const version = fields.DRBDADM_VERSION;
    if (version === undefined) return `${DRBD_USERLAND_COMMAND}: no DRBDADM_VERSION line`;
    items['version.userland'] = { value: version };
    if (fields.DRBDADM_API_VERSION !== undefined) items['version.userland-api'] = { value: fields.DRBDADM_API_VERSION };
    // drbdadm reports 0 when the module is not loaded.
    if (fields.DRBD_KERNEL_VERSION && fields.DRBD_KERNEL_VERSION !== '0') kernelFromUserland = fields.DRBD_KERNEL_VERSION;
  } else if (userland.kind === 'failed' || userland.kind === 'absent') {
    return userland.message;
  }
  const kernel = judgeOutput(outputs, DRBD_KERNEL_COMMAND);
  if (kernel.kind === 'ok') {
    const version = parseKernelVersion(kernel.stdout);
    if (version === undefined) {
      return `${DRBD_KERNEL_COMMAND}: line 1: unrecognised version "${kernel.stdout.trim().split('\n')[0]?.slice(0, 80) ?? ''}"`;
    }
    items['version.kernel'] = { value: version === 'not loaded' && kernelFromUserland ? kernelFromUserland : version };
  } else if (kernelFromUserland) {
    items['version.kernel'] = { value: kernelFromUserland };
  } else if (kernel.kind === 'failed' || kernel.kind === 'absent') {
    return kernel.message;
  }
  return undefined;
}

function parseDrbd(outputs: Outputs): FacetSnapshot {
  const dump = judgeOutput(outputs, DRBD_DUMP_COMMAND);
  if (!isReadable(dump)) return facetOf(dump);
  const source = sourceOf(outputs, DRBD_DUMP_COMMAND);

  const parsed = parseDrbdConf(dump.stdout);
  if (!parsed.ok) {
    // A cut dump can end inside a section: nothing partial is worth keeping then.
    if (dump.kind === 'truncated') return cutFacet(dump);
    return errorFacet(`${DRBD_DUMP_COMMAND} (${source}): line ${parsed.line}: ${parsed.error}`);
  }
  const items: Record<string, Item> = {};
  for (const [key, value] of flattenDrbd(parsed.statements)) items[key] = { value };
  const versionError = addVersions(outputs, items);
  if (versionError !== undefined) return errorFacet(versionError, items);
  const adjustFailed = addAdjust(outputs, items);
  const meta: Record<string, string> = { source };
  // `drbdadm -d adjust` failed for these: their running state is unknown, not in sync.
  if (adjustFailed !== undefined) meta.adjust_failed = adjustFailed;
  // A cut dump keeps what it read; parseFacet marks the facet truncated.
  return { status: 'ok', items, meta };
}

export const drbdCollector: Collector = {
  name: 'drbd',
  description: '`drbdadm dump all` (or /etc/drbd.d), `/proc/drbd`, `drbdadm --version`, `drbdadm -d adjust <res>` (dry run)',
  defaultEnabled: true,
  commands() {
    return [
      // .res files hold shared secrets and are often root-only.
      { id: DRBD_DUMP_COMMAND, argv: ['/bin/sh', '-c', DRBD_DUMP_SCRIPT], sudo: true },
      { id: DRBD_KERNEL_COMMAND, argv: ['/bin/sh', '-c', DRBD_KERNEL_SCRIPT] },
      { id: DRBD_USERLAND_COMMAND, argv: ['/bin/sh', '-c', DRBD_USERLAND_SCRIPT] },
      // Reading the running resources goes through drbdsetup's netlink: root only.
      { id: DRBD_ADJUST_COMMAND, argv: ['/bin/sh', '-c', DRBD_ADJUST_SCRIPT], sudo: true },
    ];
  },
  parse(outputs) {
    return parseFacet('drbd', outputs, () => parseDrbd(outputs));
  },
};
