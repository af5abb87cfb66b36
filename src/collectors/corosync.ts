/**
 * corosync facet: /etc/corosync/corosync.conf flattened into keys, plus the running
 * daemon's view (`corosync-cmapctl`) as `runtime.<cmap key>` items where it answers.
 *
 * A runtime key keeps the cmap key verbatim after `runtime.` (so `runtime.runtime.config.totem.token`
 * is `corosync-cmapctl -g runtime.config.totem.token`): unambiguous beats pretty.
 */
import type { Collector, CollectorContext, CommandOutput } from './collector.js';
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import { sha256Hex } from '../core/snapshot.js';
import { cmapNodeSpecificReason, confNodeSpecificReason, isVolatileCmapKey, parseCmapctl, parseCorosyncConf } from './corosync-conf.js';
import { facetOf, isReadable, judgeOutput, parseFacet } from './output.js';
import { errorFacet } from './util.js';

export const COROSYNC_CONF_PATH = '/etc/corosync/corosync.conf';
export const COROSYNC_CONF_COMMAND = 'corosync-conf';
export const COROSYNC_CMAP_COMMAND = 'corosync-cmapctl';
/** Item holding the raw file: its value is a digest, its content the text for unified diffs. */
export const COROSYNC_FILE_ITEM = `file:${COROSYNC_CONF_PATH}`;

function fileItem(text: string, maxBytes: number): Item {
  const bytes = Buffer.byteLength(text, 'utf8');
  const content = bytes <= maxBytes ? text : Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  return { value: `sha256:${sha256Hex(text)}`, content };
}

function parseCorosync(outputs: Readonly<Record<string, CommandOutput>>, ctx: CollectorContext): FacetSnapshot {
  const conf = judgeOutput(outputs, COROSYNC_CONF_COMMAND);
  if (!isReadable(conf)) return facetOf(conf);

  const items: Record<string, Item> = {};
  const parsed = parseCorosyncConf(conf.stdout);
  if (!parsed.ok) return errorFacet(`${COROSYNC_CONF_PATH}: ${parsed.error}`);
  for (const { key, value } of parsed.entries) {
    const reason = confNodeSpecificReason(key);
    items[key] = reason ? { value, nodeSpecific: reason } : { value };
  }
  items[COROSYNC_FILE_ITEM] = fileItem(conf.stdout, ctx.fileContentMaxBytes);

  const meta: Record<string, string> = {};
  const cmap = judgeOutput(outputs, COROSYNC_CMAP_COMMAND);
  if (cmap.kind === 'ok') {
    const runtime = parseCmapctl(cmap.stdout);
    if (!runtime.ok) return errorFacet(`${COROSYNC_CMAP_COMMAND}: ${runtime.error}`, items);
    for (const { key, value } of runtime.entries) {
      if (isVolatileCmapKey(key)) continue;
      const reason = cmapNodeSpecificReason(key);
      items[`runtime.${key}`] = reason ? { value, nodeSpecific: reason } : { value };
    }
    meta.runtime = 'cmap';
  } else {
    // A stopped corosync is not a facet failure: the file is still worth comparing.
    meta.runtime = `unavailable: ${cmap.message}`;
  }
  // A cut file keeps what it read; parseFacet marks the facet truncated.
  return { status: 'ok', items, meta };
}

export const corosyncCollector: Collector = {
  name: 'corosync',
  description: 'corosync.conf (+ `corosync-cmapctl`)',
  defaultEnabled: true,
  commands() {
    return [
      { id: COROSYNC_CONF_COMMAND, argv: ['/bin/cat', COROSYNC_CONF_PATH] },
      // cmap IPC is restricted to root (or uidgid-listed users), hence sudo.
      { id: COROSYNC_CMAP_COMMAND, argv: ['/usr/sbin/corosync-cmapctl'], sudo: true },
    ];
  },
  parse(outputs, ctx) {
    return parseFacet('corosync', outputs, () => parseCorosync(outputs, ctx));
  },
};
