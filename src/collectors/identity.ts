/**
 * identity: what must tell the nodes apart. machine-id, the hostname in /etc/hostname,
 * SSH host key fingerprints (public keys only), the iSCSI initiator name, and the MAC and
 * IP addresses of the node's own interfaces. Every item is node-specific (never peer
 * drift) and unique: the engine reports a value two nodes share (a cloned VM, a copied
 * image) as a critical `identity` finding naming both (src/core/engine/identities.ts).
 *
 * Left out on purpose: loopback and host-scope addresses, IPv6 link-local addresses
 * (derived from the MAC, which is compared), all-zero MACs, and the interfaces container
 * and VM hosts create the same on every machine (docker0, virbr0, veth*, cni*, ...).
 */
import { createHash } from 'node:crypto';
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { firstLine, okFacet, shArgv, unsupportedFacet } from './util.js';
import { isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const IDENTITY_COMMAND_IDS = [
  'identity-machine-id',
  'identity-hostname',
  'identity-ssh-hostkeys',
  'identity-iscsi',
  'identity-ip-addr',
] as const;

/** machine-id(5): /etc first; D-Bus' copy where systemd is absent. */
const MACHINE_ID_SCRIPT = 'if [ -r /etc/machine-id ]; then exec cat /etc/machine-id; fi; exec cat /var/lib/dbus/machine-id';

/** One line per public host key: the path, a tab, the key's first line. Private keys are never read. */
const HOSTKEYS_SCRIPT = [
  'for f in /etc/ssh/ssh_host_*_key.pub; do',
  '  [ -f "$f" ] || continue',
  '  line=$(head -n 1 -- "$f") || continue',
  '  printf \'%s\\t%s\\n\' "$f" "$line"',
  'done',
  'exit 0',
].join('\n');

/** Label of each kind of identity: the class the engine compares values within. */
export const IDENTITY_CLASSES = {
  machineId: 'machine-id',
  hostname: 'hostname',
  sshHostKey: 'ssh-host-key',
  iscsi: 'iscsi-initiator',
  mac: 'mac-address',
  ip: 'ip-address',
} as const;

const NODE_SPECIFIC = "this node's own identity: compared only for being shared (identity finding)";

/** Interfaces that container and VM hosts create alike on every machine. */
const SHARED_BY_DESIGN =
  /^(lo|docker\d*|virbr\d+(-nic)?|veth.*|br-[0-9a-f]{12}|cni\d*|flannel\..*|cali.*|vxlan\.calico|podman\d*|lxcbr\d+|lxdbr\d+|tailscale\d*|wg\d+|kube-.*|cilium_.*|weave|vnet\d+)$/;

/** Interfaces left out of identity and network: loopback and the per-host container/VM bridges. */
export function isSharedByDesign(ifname: string): boolean {
  return SHARED_BY_DESIGN.test(ifname);
}

function identityItem(value: string, unique: string): Item {
  return { value, nodeSpecific: NODE_SPECIFIC, unique };
}

/** The machine-id: 32 lowercase hex digits; anything else (empty, `uninitialized`) is no identity. */
export function parseMachineId(text: string): string | undefined {
  const line = text.split('\n')[0]?.trim().toLowerCase() ?? '';
  return /^[0-9a-f]{32}$/.test(line) && !/^0+$/.test(line) ? line : undefined;
}

/** hostname(5): the first word of the first line that is not a comment. */
export function parseHostnameFile(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return line.split(/\s+/)[0];
  }
  return undefined;
}

/**
 * `SHA256:<base64>` of an OpenSSH public key line (`type base64 [comment]`), as
 * `ssh-keygen -lf` prints it; undefined when the line is not a key.
 */
export function sshFingerprint(line: string): { type: string; fingerprint: string } | undefined {
  const fields = line.trim().split(/\s+/);
  // authorized_keys-style options before the type are not used in host key files.
  const type = fields[0];
  const blob = fields[1];
  if (!type || !blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const bytes = Buffer.from(blob, 'base64');
  if (bytes.length < 8) return undefined;
  const digest = createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '');
  return { type, fingerprint: `SHA256:${digest}` };
}

/** `path<TAB>key line` lines: item key `ssh.hostkey.<file's type>` (ed25519, rsa, ...). */
export function parseHostKeys(lines: readonly string[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const line of lines) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const path = line.slice(0, tab);
    const name = /ssh_host_(.+)_key\.pub$/.exec(path)?.[1];
    const key = sshFingerprint(line.slice(tab + 1));
    if (!name || !key) continue;
    items[`ssh.hostkey.${name}`] = identityItem(key.fingerprint, IDENTITY_CLASSES.sshHostKey);
  }
  return items;
}

/** `InitiatorName=iqn...` of /etc/iscsi/initiatorname.iscsi (comments skipped). */
export function parseInitiatorName(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const m = /^\s*InitiatorName\s*=\s*(\S+)\s*$/.exec(raw);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

interface IpAddrInfo {
  family?: unknown;
  local?: unknown;
  scope?: unknown;
}

interface IpLink {
  ifname?: unknown;
  link_type?: unknown;
  address?: unknown;
  addr_info?: unknown;
}

/** `ip -json addr` as plain records; undefined when it is not the JSON array ip prints. */
export function parseIpJson(text: string): Record<string, unknown>[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x));
}

/** MAC (`mac.<ifname>`) and address (`ip.<ifname>.<address>`) items from `ip -json addr`. */
export function addressItems(links: readonly IpLink[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const link of links) {
    const name = typeof link.ifname === 'string' ? link.ifname : undefined;
    if (!name || isSharedByDesign(name) || link.link_type === 'loopback') continue;
    const mac = typeof link.address === 'string' ? link.address.toLowerCase() : '';
    if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== '00:00:00:00:00:00') {
      items[`mac.${name}`] = identityItem(mac, IDENTITY_CLASSES.mac);
    }
    const infos = Array.isArray(link.addr_info) ? (link.addr_info as IpAddrInfo[]) : [];
    for (const info of infos) {
      if (typeof info !== 'object' || info === null) continue;
      if (typeof info.local !== 'string' || info.local === '') continue;
      if (info.scope === 'host' || info.scope === 'link') continue;
      const address = info.local.toLowerCase();
      items[`ip.${name}.${address}`] = identityItem(address, IDENTITY_CLASSES.ip);
    }
  }
  return items;
}

/** An optional source: its lines, or undefined when the node does not have it. */
function optional(outputs: Outputs, id: string): { text?: string; failed?: string } {
  const check = judgeOutput(outputs, id);
  if (isReadable(check)) return { text: check.stdout };
  if (check.kind === 'unsupported') return {};
  return { failed: check.message };
}

function parseIdentity(outputs: Outputs): FacetSnapshot {
  const items: Record<string, Item> = {};
  const absent: string[] = [];
  const meta: Record<string, string> = {};

  const machineId = optional(outputs, 'identity-machine-id');
  const failed = [machineId.failed].filter((x): x is string => x !== undefined);
  const id = machineId.text === undefined ? undefined : parseMachineId(machineId.text);
  if (id) items['machine-id'] = identityItem(id, IDENTITY_CLASSES.machineId);
  else absent.push('machine-id');

  const host = optional(outputs, 'identity-hostname');
  if (host.failed) failed.push(host.failed);
  const hostname = host.text === undefined ? undefined : parseHostnameFile(host.text);
  if (hostname) items.hostname = identityItem(hostname.toLowerCase(), IDENTITY_CLASSES.hostname);
  else absent.push('hostname');

  const keys = judgeOutput(outputs, 'identity-ssh-hostkeys');
  const hostKeys = isReadable(keys) ? parseHostKeys(outputLines(keys)) : {};
  if (keys.kind === 'failed' || keys.kind === 'absent') failed.push(keys.message);
  if (Object.keys(hostKeys).length > 0) Object.assign(items, hostKeys);
  else absent.push('ssh host keys');

  const iscsi = optional(outputs, 'identity-iscsi');
  if (iscsi.failed) failed.push(iscsi.failed);
  const initiator = iscsi.text === undefined ? undefined : parseInitiatorName(iscsi.text);
  if (initiator) items['iscsi.initiator'] = identityItem(initiator, IDENTITY_CLASSES.iscsi);

  const addr = judgeOutput(outputs, 'identity-ip-addr');
  if (isReadable(addr)) {
    const links = parseIpJson(addr.stdout);
    if (links) Object.assign(items, addressItems(links));
    else if (addr.kind !== 'truncated') meta.addresses = `identity-ip-addr: not the JSON array ip prints: ${firstLine(addr.stdout)}`;
  } else {
    absent.push('addresses (ip)');
    if (addr.kind === 'failed' || addr.kind === 'absent') failed.push(addr.message);
  }
  if (failed.length > 0) meta.failed = failed.join('; ');

  if (Object.keys(items).length === 0) {
    return unsupportedFacet(`no identity readable: ${absent.join(', ')} (no /etc/machine-id, /etc/hostname, ssh host keys or ip)`);
  }
  if (absent.length > 0) meta.absent = absent.join(', ');
  return settleFacet(okFacet(items, Object.keys(meta).length > 0 ? meta : undefined), outputs);
}

export const identityCollector: Collector = {
  name: 'identity',
  description:
    '/etc/machine-id, /etc/hostname, /etc/ssh/ssh_host_*_key.pub (public keys only), /etc/iscsi/initiatorname.iscsi, `ip -json addr`',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'identity-machine-id', argv: shArgv(MACHINE_ID_SCRIPT) },
      { id: 'identity-hostname', argv: ['/bin/cat', '/etc/hostname'] },
      { id: 'identity-ssh-hostkeys', argv: shArgv(HOSTKEYS_SCRIPT) },
      { id: 'identity-iscsi', argv: ['/bin/cat', '/etc/iscsi/initiatorname.iscsi'] },
      { id: 'identity-ip-addr', argv: shArgv('exec ip -json addr show') },
    ];
  },
  parse(outputs) {
    return parseFacet('identity', outputs, () => parseIdentity(outputs));
  },
};
