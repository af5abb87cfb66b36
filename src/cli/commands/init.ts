/**
 * `driftd init --node HOST`: from one node to a working config. Shows the node's host key
 * fingerprint and goes on only once the user confirmed it (never trust on first use), reads
 * the cluster's members from that node (corosync.conf nodelist, else `crm_node -l`), shows
 * every member's fingerprint for confirmation too, then writes the config and known_hosts.
 * Confirmation is a y/N question on a terminal, or `--accept FP,...` (fingerprints compared
 * out of band) in scripts; without either nothing is written (exit 2).
 * `--inventory FILE` takes the hosts from an Ansible inventory instead (groups -> clusters),
 * with the same fingerprint confirmation.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import { membersFromCorosyncConf, membersFromCrmNode, type Member, type MembersResult } from '../init/members.js';
import { parseInventory } from '../init/inventory.js';
import { runPinned, scanHostKey, type ScannedKey } from '../init/ssh.js';
import { readRegularTextFile } from '../../config/files.js';
import { loadConfigOrExit } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { escapeControl } from '../../core/text/terminal.js';

export interface InitFlags {
  node?: string;
  inventory?: string;
  group?: string[];
  port: number;
  user: string;
  identity: string;
  cluster?: string;
  out: string;
  knownHosts?: string;
  accept?: string[];
}

function describeKeys(keys: readonly { label: string; key: ScannedKey }[]): string {
  return keys
    .map(({ label, key }) => `  ${escapeControl(label).padEnd(20)} ${key.host}:${key.port}  ${key.type}  ${key.fingerprint}`)
    .join('\n');
}

async function confirm(keys: readonly { label: string; key: ScannedKey }[], flags: InitFlags, what: string): Promise<void> {
  process.stdout.write(`${what}:\n${describeKeys(keys)}\n`);
  process.stdout.write(
    'Compare each with `ssh-keygen -lf /etc/ssh/ssh_host_<type>_key.pub` run on that node (console or another trusted path).\n',
  );
  if (flags.accept !== undefined) {
    const accepted = new Set(flags.accept.flatMap((a) => a.split(',')).map((a) => a.trim()));
    const refused = keys.filter(({ key }) => !accepted.has(key.fingerprint));
    if (refused.length > 0) {
      throw new CliError(
        `not confirmed by --accept: ${refused.map(({ label, key }) => `${escapeControl(label)} ${key.fingerprint}`).join(', ')}; nothing written`,
        EXIT.undecided,
      );
    }
    return;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError(
      `fingerprints not confirmed and no terminal to ask on; compare them, then rerun with --accept ${keys.map(({ key }) => key.fingerprint).join(',')} (nothing written)`,
      EXIT.undecided,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('Do these fingerprints match what the nodes show? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('fingerprints not confirmed; nothing written', EXIT.undecided);
  } finally {
    rl.close();
  }
}

async function readMembers(target: Parameters<typeof runPinned>[0], pinned: Buffer): Promise<MembersResult> {
  const conf = await runPinned(target, pinned, 'cat /etc/corosync/corosync.conf');
  if (conf.code === 0) return membersFromCorosyncConf(conf.stdout);
  const crm = await runPinned(target, pinned, 'crm_node -l');
  if (crm.code === 0) return membersFromCrmNode(crm.stdout);
  return {
    ok: false,
    error: `neither /etc/corosync/corosync.conf nor \`crm_node -l\` could be read (${conf.stderr.trim() || `exit ${conf.code}`}; ${crm.stderr.trim() || `exit ${crm.code}`})`,
  };
}

function knownHostsLine(key: ScannedKey): string {
  const name = key.port === 22 ? key.host : `[${key.host}]:${key.port}`;
  return `${name} ${key.type} ${key.blob.toString('base64')}`;
}

async function scan(host: string, p: number): Promise<ScannedKey> {
  try {
    return await scanHostKey(host, p);
  } catch (err) {
    throw new CliError(`cannot reach ${host}:${p} for its host key: ${err instanceof Error ? err.message : String(err)}`, EXIT.undecided);
  }
}

interface PlannedNode {
  name: string;
  key: ScannedKey;
}

export async function runInit(flags: InitFlags): Promise<ExitCode> {
  const out = path.resolve(flags.out);
  const knownHosts = path.resolve(flags.knownHosts ?? path.join(path.dirname(out), 'known_hosts'));
  for (const file of [out, knownHosts]) {
    if (existsSync(file))
      throw new CliError(`${file} exists; driftd init never overwrites (choose another --out/--known-hosts)`, EXIT.undecided);
  }
  if (!existsSync(flags.identity)) throw new CliError(`--identity ${flags.identity}: no such file`, EXIT.undecided);
  if ((flags.node === undefined) === (flags.inventory === undefined)) {
    throw new CliError('say where the nodes come from: --node HOST (one node of the cluster) or --inventory FILE', EXIT.undecided);
  }
  const clusters = flags.node !== undefined ? await fromNode(flags, flags.node) : await fromInventory(flags, flags.inventory ?? '');
  writeFiles(flags, out, knownHosts, clusters);
  const nodes = clusters.reduce((n, c) => n + c.nodes.length, 0);
  process.stdout.write(`wrote ${out} (${clusters.map((c) => `cluster ${c.name}`).join(', ')}, ${nodes} nodes) and ${knownHosts}\n`);
  return EXIT.ok;
}

async function fromNode(flags: InitFlags, node: string): Promise<{ name: string; nodes: PlannedNode[] }[]> {
  // 1. The node we ask must be the real one before we believe its member list.
  const seed = await scan(node, flags.port);
  await confirm([{ label: node, key: seed }], flags, `Host key of ${node}`);
  const target = { host: node, port: flags.port, user: flags.user, identityFile: path.resolve(flags.identity) };
  let members: MembersResult;
  try {
    members = await readMembers(target, seed.blob);
  } catch (err) {
    throw new CliError(`cannot read the cluster members on ${node}: ${err instanceof Error ? err.message : String(err)}`, EXIT.undecided);
  }
  if (!members.ok) throw new CliError(`${node}: ${members.error}`, EXIT.undecided);

  // 2. Every member's key, confirmed the same way (the seed's own is already confirmed).
  const scanned: { label: string; member: Member; key: ScannedKey }[] = [];
  for (const member of members.members) {
    const key = member.address === node ? seed : await scan(member.address, flags.port);
    scanned.push({ label: member.name, member, key });
  }
  const others = scanned.filter(({ key }) => key !== seed);
  if (others.length > 0) await confirm(others, flags, `Host keys of the other members (${others.length})`);
  return [
    { name: flags.cluster ?? members.clusterName ?? 'cluster', nodes: scanned.map(({ member, key }) => ({ name: member.name, key })) },
  ];
}

async function fromInventory(flags: InitFlags, file: string): Promise<{ name: string; nodes: PlannedNode[] }[]> {
  let text: string;
  try {
    text = readRegularTextFile(path.resolve(file), 4 * 1024 * 1024, 'inventory');
  } catch (err) {
    throw new CliError(`--inventory ${file}: ${err instanceof Error ? err.message : String(err)}`, EXIT.undecided);
  }
  const parsed = parseInventory(text);
  if (!parsed.ok) throw new CliError(`--inventory ${file}: ${parsed.error}`, EXIT.undecided);
  const wanted = flags.group?.flatMap((g) => g.split(',')).map((g) => g.trim());
  const groups = wanted ? parsed.groups.filter((g) => wanted.includes(g.name)) : parsed.groups;
  const missing = (wanted ?? []).filter((w) => !parsed.groups.some((g) => g.name === w));
  if (missing.length > 0) {
    throw new CliError(
      `--group ${missing.join(', ')}: not in the inventory (groups with hosts: ${parsed.groups.map((g) => g.name).join(', ')})`,
      EXIT.undecided,
    );
  }
  if (groups.length === 0) throw new CliError(`--inventory ${file}: no group lists hosts`, EXIT.undecided);
  // driftd's node names are unique across clusters: a host in two groups needs --group.
  const seen = new Map<string, string>();
  for (const g of groups) {
    for (const h of g.hosts) {
      const other = seen.get(h.name);
      if (other !== undefined && other !== g.name) {
        throw new CliError(`host ${h.name} is in groups ${other} and ${g.name}; pick the cluster groups with --group`, EXIT.undecided);
      }
      seen.set(h.name, g.name);
    }
  }
  const clusters: { name: string; nodes: PlannedNode[] }[] = [];
  for (const g of groups) {
    const nodes: PlannedNode[] = [];
    for (const h of g.hosts) nodes.push({ name: h.name, key: await scan(h.host, h.port ?? flags.port) });
    clusters.push({ name: g.name, nodes });
  }
  await confirm(
    clusters.flatMap((c) => c.nodes.map((n) => ({ label: n.name, key: n.key }))),
    flags,
    `Host keys of the inventory's hosts (${seen.size})`,
  );
  return clusters;
}

/** Both files, never over an existing one; then the config is loaded as driftd will load it. */
function writeFiles(flags: InitFlags, out: string, knownHosts: string, clusters: { name: string; nodes: PlannedNode[] }[]): void {
  const config = {
    database: './driftd.db',
    ssh: {
      user: flags.user,
      identityFile: path.resolve(flags.identity),
      knownHosts,
      ...(flags.port !== 22 ? { port: flags.port } : {}),
    },
    clusters: clusters.map((c) => ({
      name: c.name,
      nodes: c.nodes.map(({ name, key }) => ({ name, host: key.host, ...(key.port !== flags.port ? { port: key.port } : {}) })),
    })),
  };
  const keys = clusters.flatMap((c) => c.nodes.map((n) => knownHostsLine(n.key)));
  writeFileSync(knownHosts, `${[...new Set(keys)].join('\n')}\n`, { flag: 'wx', mode: 0o644 });
  const source = flags.node !== undefined ? `--node ${flags.node}` : `--inventory ${flags.inventory ?? ''}`;
  writeFileSync(
    out,
    `# Written by driftd init ${source} on ${new Date().toISOString()}; the host keys in\n# ${knownHosts} were confirmed by fingerprint. Review, then: driftd check --config ${out}\n${stringify(config)}`,
    { flag: 'wx', mode: 0o640 },
  );
  loadConfigOrExit(out);
}
