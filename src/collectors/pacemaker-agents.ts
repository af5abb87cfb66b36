/**
 * Which resource and fence agents exist on the node itself, whatever installed them (a
 * package, a vendor installer, a hand-copied custom agent): the precondition "every agent
 * the CIB references exists on every node" is judged from this list, so an agent of any
 * OCF provider is checked, and one present without its package is fine.
 *
 * Listed in the pacemaker collector's batch (the same single SSH round trip), one agent
 * per line as Pacemaker names it in the CIB:
 * - `ocf:<provider>:<type>`: executable files under /usr/lib/ocf/resource.d/<provider>/
 *   (OCF_ROOT; the same path on Debian, RHEL and SUSE);
 * - `stonith:fence_<x>`: executable /usr/sbin/fence_*; `stonith:external/<x>` and
 *   `stonith:<x>`: cluster-glue plugins (external/ scripts and stonith2/*.so, in the
 *   lib, lib64 or multiarch plugin directory);
 * - `lsb:<name>`: executable scripts in /etc/init.d;
 * - `unit:<name>`: systemd unit files in the unit directories (a template `foo@.service`
 *   serves `systemd:foo@bar`), read from disk so a node whose systemd is not PID 1 (or
 *   not running) still answers.
 */

export const AGENTS_COMMAND = 'pacemaker-agents';
export { AGENTS_META_KEY } from '../core/agent-presence.js';

/** Constant script: lists, never runs, anything. Exit 0 even when nothing is found. */
export const AGENTS_SCRIPT = [
  'for f in /usr/lib/ocf/resource.d/*/*; do',
  '  [ -f "$f" ] && [ -x "$f" ] || continue',
  '  t=${f##*/}; p=${f%/*}; p=${p##*/}',
  '  printf \'ocf:%s:%s\\n\' "$p" "$t"',
  'done',
  'for f in /usr/sbin/fence_*; do',
  '  [ -f "$f" ] && [ -x "$f" ] && printf \'stonith:%s\\n\' "${f##*/}"',
  'done',
  'for d in /usr/lib/stonith/plugins /usr/lib64/stonith/plugins /usr/lib/*-linux-gnu*/stonith/plugins; do',
  '  [ -d "$d" ] || continue',
  '  for f in "$d"/external/*; do [ -f "$f" ] && [ -x "$f" ] && printf \'stonith:external/%s\\n\' "${f##*/}"; done',
  '  for f in "$d"/stonith2/*.so; do [ -f "$f" ] && t=${f##*/} && printf \'stonith:%s\\n\' "${t%.so}"; done',
  'done',
  'for f in /etc/init.d/*; do',
  '  [ -f "$f" ] && [ -x "$f" ] && printf \'lsb:%s\\n\' "${f##*/}"',
  'done',
  'for d in /etc/systemd/system /run/systemd/system /usr/local/lib/systemd/system /usr/lib/systemd/system /lib/systemd/system; do',
  '  [ -d "$d" ] || continue',
  '  for f in "$d"/*; do [ -e "$f" ] && printf \'unit:%s\\n\' "${f##*/}"; done',
  'done',
  'exit 0',
].join('\n');

/** What the listing says about the node; `names` holds each line as printed. */
export interface AgentListing {
  names: Set<string>;
}

/** Pure and total: lines that are not `class:name` are ignored. */
export function parseAgentListing(text: string): AgentListing {
  const names = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^(ocf|stonith|lsb|unit):\S+$/.test(line)) names.add(line);
  }
  return { names };
}

export function agentListingMeta(listing: AgentListing): string {
  return [...listing.names].sort().join(' ');
}
