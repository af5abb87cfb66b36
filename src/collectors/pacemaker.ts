/**
 * pacemaker facet: the CIB's configuration, normalised (see pacemaker-cib.ts for what
 * is dropped and why). The whole CIB with its status section is kept beside it in meta,
 * for failover simulation only (pacemaker-cib-state.ts). The live CIB comes from
 * `cibadmin --query --local`; a node whose
 * cluster stack is stopped still has its last CIB on disk, which is read instead.
 */
import type { Collector } from './collector.js';
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import { normaliseCib } from './pacemaker-cib.js';
import { cibForSimulation } from './pacemaker-cib-state.js';
import { CIB_META_KEY, CIB_VERSION_META_KEY } from '../core/simulate/cib-meta.js';
import { parseSbd, SBD_COMMAND, SBD_SCRIPT } from './pacemaker-sbd.js';
import { parseXml, type XmlElement } from './pacemaker-xml.js';
import { agentsOfItems, listingNamesFor } from '../core/agent-presence.js';
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
import { errorFacet } from './util.js';

import { AGENTS_COMMAND, AGENTS_META_KEY, AGENTS_SCRIPT, agentListingMeta, parseAgentListing } from './pacemaker-agents.js';

export const PACEMAKER_CIB_COMMAND = 'pacemaker-cib';

/**
 * Constant script: the live CIB when the local cib daemon answers, else the file the
 * cluster keeps on disk (the current path first, then the heartbeat-era one).
 * The source is reported on stderr so stdout stays pure XML.
 */
export const PACEMAKER_CIB_SCRIPT = [
  'if [ -x /usr/sbin/cibadmin ] && out=$(/usr/sbin/cibadmin --query --local 2>/dev/null); then',
  "  echo 'driftd: source=cibadmin' >&2; printf '%s\\n' \"$out\"; exit 0",
  'fi',
  'for f in /var/lib/pacemaker/cib/cib.xml /var/lib/heartbeat/crm/cib.xml; do',
  '  if [ -e "$f" ]; then echo "driftd: source=$f" >&2; exec cat "$f"; fi',
  'done',
  `echo '${UNSUPPORTED_MARKER} no answer from cibadmin and no cib.xml on disk' >&2`,
  `exit ${UNSUPPORTED_EXIT}`,
].join('\n');

function parsePacemaker(outputs: Outputs): FacetSnapshot {
  const verdict = judgeOutput(outputs, PACEMAKER_CIB_COMMAND);
  if (!isReadable(verdict)) return facetOf(verdict);
  // A cut CIB is not well-formed XML, so there is nothing partial worth keeping.
  if (verdict.kind === 'truncated') return cutFacet(verdict);
  const source = sourceOf(outputs, PACEMAKER_CIB_COMMAND);
  const xml = parseXml(verdict.stdout);
  if (!xml.ok) {
    return errorFacet(`${PACEMAKER_CIB_COMMAND} (${source}): line ${xml.line}, column ${xml.column}: ${xml.error}`);
  }
  const cib = normaliseCib(xml.root);
  if (!cib.ok) return errorFacet(`${PACEMAKER_CIB_COMMAND} (${source}): line ${cib.line}: ${cib.error}`);
  const items: Record<string, Item> = {};
  for (const [key, value] of cib.items) {
    const source = cib.sources.get(key);
    items[key] = source === undefined ? { value } : { value, source };
  }
  const meta: Record<string, string> = { source };
  const version = cibVersionOf(xml.root);
  if (version !== undefined) meta[CIB_VERSION_META_KEY] = version;
  // Runtime state for failover simulation: stored, never compared (src/core/simulate/cib-meta.ts).
  const withStatus = cibForSimulation(xml.root);
  if (withStatus !== undefined) meta[CIB_META_KEY] = withStatus;
  addSbd(outputs, items, meta);
  addAgents(outputs, items, meta);
  return { status: 'ok', items, meta };
}

/** `admin_epoch.epoch.num_updates` of the `<cib>` element, as Pacemaker orders CIB versions; undefined when one is not a number. */
function cibVersionOf(root: XmlElement): string | undefined {
  const parts = ['admin_epoch', 'epoch', 'num_updates'].map((name) => root.attrs[name] ?? '');
  return parts.every((p) => /^\d{1,15}$/.test(p)) ? parts.join('.') : undefined;
}

/** SBD's settings beside the CIB; a node without SBD (or an older recording) adds nothing. */
function addSbd(outputs: Outputs, items: Record<string, Item>, meta: Record<string, string>): void {
  const verdict = judgeOutput(outputs, SBD_COMMAND);
  if (verdict.kind !== 'ok' || verdict.stdout.trim() === '') return;
  const sbd = parseSbd(verdict.stdout);
  if (sbd.file === undefined) return;
  meta.sbd = sbd.file;
  for (const [name, value] of Object.entries(sbd.variables)) items[`sbd.${name}`] = { value, source: sbd.file };
  for (const [name, value] of Object.entries(sbd.header)) items[`sbd.${name}`] = { value, source: 'sbd dump' };
}

/**
 * Of the agents present on the node, those that serve an agent this CIB references, into
 * meta (see src/core/agent-presence.ts): judged by the agent precondition, not compared as
 * items. A recording without the listing adds nothing: the precondition then falls back to
 * package evidence.
 */
function addAgents(outputs: Outputs, items: Record<string, Item>, meta: Record<string, string>): void {
  const verdict = judgeOutput(outputs, AGENTS_COMMAND);
  if (verdict.kind !== 'ok') return;
  const present = parseAgentListing(verdict.stdout).names;
  const relevant = new Set<string>();
  for (const agent of agentsOfItems(items)) for (const name of listingNamesFor(agent)) if (present.has(name)) relevant.add(name);
  meta[AGENTS_META_KEY] = agentListingMeta({ names: relevant });
}

export const pacemakerCollector: Collector = {
  name: 'pacemaker',
  description:
    '`cibadmin --query --local`, else cib.xml; `/etc/sysconfig/sbd` or `/etc/default/sbd` (never sourced) and `sbd -d DEV dump` per SBD device',
  defaultEnabled: true,
  commands() {
    // The CIB is readable by root and haclient only.
    return [
      { id: PACEMAKER_CIB_COMMAND, argv: ['/bin/sh', '-c', PACEMAKER_CIB_SCRIPT], sudo: true, maxBytes: 16 * 1024 * 1024 },
      { id: SBD_COMMAND, argv: ['/bin/sh', '-c', SBD_SCRIPT], maxBytes: 256 * 1024 },
      { id: AGENTS_COMMAND, argv: ['/bin/sh', '-c', AGENTS_SCRIPT], maxBytes: 1024 * 1024 },
    ];
  },
  parse(outputs) {
    return parseFacet('pacemaker', outputs, () => parsePacemaker(outputs));
  },
};
