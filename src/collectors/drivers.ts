/**
 * drivers: which driver, driver version and firmware each network interface runs
 * (`ethtool -i`), and the storage host adapters' drivers with their module version
 * (/sys/class/scsi_host/*\/proc_name, /sys/module/<driver>/version). Patching brings new
 * drivers and firmware on one node at a time: a NIC or HBA driver that differs between
 * nodes is the drift a failover trips on (a bond that will not come up, LUNs not seen).
 */
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { isSharedByDesign } from './identity.js';
import { okFacet, shArgv, unsupportedFacet } from './util.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const DRIVERS_COMMAND_IDS = ['drivers-ethtool', 'drivers-scsi-host'] as const;

/**
 * `ethtool -i` for every interface, each behind `==> <ifname> <==` and followed by
 * `<== exit <code>` (ethtool's own errors merged in: "Operation not supported" on lo).
 * Interface names come from /sys, never from config.
 */
const ETHTOOL_SCRIPT = [
  'command -v ethtool >/dev/null 2>&1 || { echo "ethtool: command not found" >&2; exit 127; }',
  'for d in /sys/class/net/*; do',
  '  [ -e "$d" ] || continue',
  '  n=${d##*/}',
  '  printf \'==> %s <==\\n\' "$n"',
  '  ethtool -i "$n" 2>&1',
  '  printf \'<== exit %s\\n\' "$?"',
  'done',
  'exit 0',
].join('\n');

/** One line per SCSI host: `host<N><TAB>proc_name<TAB>module version` (version may be empty). */
const SCSI_HOST_SCRIPT = [
  'for h in /sys/class/scsi_host/host*; do',
  '  [ -e "$h/proc_name" ] || continue',
  '  p=$(cat -- "$h/proc_name" 2>/dev/null)',
  '  v=',
  '  case $p in */*|"") ;; *) [ -r "/sys/module/$p/version" ] && v=$(cat -- "/sys/module/$p/version" 2>/dev/null) ;; esac',
  '  printf \'%s\\t%s\\t%s\\n\' "${h##*/}" "$p" "$v"',
  'done',
  'exit 0',
].join('\n');

interface EthtoolBlock {
  ifname: string;
  exit: number | null;
  fields: Map<string, string>;
}

/** The `==> if <==` ... `<== exit N` blocks of the ethtool script. */
export function parseEthtoolBlocks(lines: readonly string[]): EthtoolBlock[] {
  const blocks: EthtoolBlock[] = [];
  let block: EthtoolBlock | undefined;
  for (const line of lines) {
    const head = /^==> (.+) <==$/.exec(line);
    if (head?.[1]) {
      block = { ifname: head[1], exit: null, fields: new Map() };
      blocks.push(block);
      continue;
    }
    if (!block) continue;
    const tail = /^<== exit (\d+)$/.exec(line);
    if (tail?.[1]) {
      block.exit = Number(tail[1]);
      block = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    if (!block.fields.has(key)) block.fields.set(key, line.slice(colon + 1).trim());
  }
  return blocks;
}

/** nic.<if>.driver / .version / .firmware, for interfaces ethtool could describe. */
export function nicItems(blocks: readonly EthtoolBlock[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const b of blocks) {
    if (b.exit !== 0 || isSharedByDesign(b.ifname)) continue;
    const driver = b.fields.get('driver');
    if (!driver) continue;
    const prefix = `nic.${b.ifname}`;
    items[`${prefix}.driver`] = { value: driver };
    const version = b.fields.get('version');
    if (version) items[`${prefix}.version`] = { value: version };
    const firmware = b.fields.get('firmware-version');
    if (firmware) items[`${prefix}.firmware`] = { value: firmware };
  }
  return items;
}

/**
 * hba.<driver>.hosts -> how many SCSI hosts the driver serves (host numbers differ by
 * probe order, so they are not keys); hba.<driver>.version -> its module version.
 */
export function hbaItems(lines: readonly string[]): Record<string, Item> {
  const count = new Map<string, number>();
  const version = new Map<string, string>();
  for (const line of lines) {
    const [host, driver, ver] = line.split('\t');
    if (!host?.startsWith('host') || !driver) continue;
    count.set(driver, (count.get(driver) ?? 0) + 1);
    if (ver) version.set(driver, ver);
  }
  const items: Record<string, Item> = {};
  for (const [driver, n] of count) {
    items[`hba.${driver}.hosts`] = { value: String(n) };
    const v = version.get(driver);
    if (v) items[`hba.${driver}.version`] = { value: v };
  }
  return items;
}

function parseDrivers(outputs: Outputs): FacetSnapshot {
  const items: Record<string, Item> = {};
  const meta: Record<string, string> = {};
  const ethtool = judgeOutput(outputs, 'drivers-ethtool');
  const scsi = judgeOutput(outputs, 'drivers-scsi-host');
  if (ethtool.kind === 'failed' || ethtool.kind === 'absent') return facetOf(ethtool);
  if (scsi.kind === 'failed' || scsi.kind === 'absent') return facetOf(scsi);
  if (isReadable(ethtool)) Object.assign(items, nicItems(parseEthtoolBlocks(outputLines(ethtool))));
  else meta.nic = `unavailable: ${ethtool.message} (install ethtool)`;
  if (isReadable(scsi)) Object.assign(items, hbaItems(outputLines(scsi)));
  if (!isReadable(ethtool) && Object.keys(items).length === 0) return unsupportedFacet(ethtool.message);
  return settleFacet(okFacet(items, Object.keys(meta).length > 0 ? meta : undefined), outputs);
}

export const driversCollector: Collector = {
  name: 'drivers',
  description: '`ethtool -i` per interface, /sys/class/scsi_host/*/proc_name, /sys/module/<driver>/version',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'drivers-ethtool', argv: shArgv(ETHTOOL_SCRIPT) },
      { id: 'drivers-scsi-host', argv: shArgv(SCSI_HOST_SCRIPT) },
    ];
  },
  parse(outputs) {
    return parseFacet('drivers', outputs, () => parseDrivers(outputs));
  },
};
