/**
 * security: the mandatory access control mode (SELinux, AppArmor) and the firewall
 * ruleset, normalised, with whether the cluster's own ports are open to a peer.
 *
 * Items:
 * - `selinux` -> Enforcing | Permissive | Disabled (Disabled where the kernel has none)
 * - `apparmor` -> enabled | disabled; `apparmor.profile.<name>` -> enforce | complain | ...
 *   (the profile list is root-only: `ssh.sudo` with its `cat` allowed, else `meta.apparmor_profiles`)
 * - `firewall` -> nftables | iptables | unreadable (`meta.firewall` says why)
 * - nftables: `nft.<family>.<table>.chain.<name>` -> its type, hook, priority and policy,
 *   `....rules` -> one rule per line (JSON, counters and handles dropped);
 *   `nft.<family>.<table>.set.<name>` -> type, flags and elements (not the elements of a
 *   dynamic or timeout set, which fill themselves at run time)
 * - iptables (no nft on the node): `iptables.<table>.<chain>` -> policy, `....rules`
 * - `port.5405/udp` (corosync), `port.2224/tcp` (pcsd), `port.3121/tcp` (pacemaker
 *   remote) -> open | closed | restricted: what a new IPv4 connection from a peer meets
 *   in the input hook (see src/collectors/firewall-eval.ts)
 */
import { canonicalJson, type Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { CLUSTER_PORTS, evaluatePort, type EvalChain, type EvalRule, type Applies, type PortQuery } from './firewall-eval.js';
import { firstLine, okFacet, shArgv } from './util.js';
import { isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const SECURITY_SELINUX_ID = 'security-selinux';
export const SECURITY_APPARMOR_ID = 'security-apparmor';
export const SECURITY_APPARMOR_PROFILES_ID = 'security-apparmor-profiles';
export const SECURITY_NFT_ID = 'security-nft';
export const SECURITY_IPTABLES_ID = 'security-iptables';

const MAX_BYTES = 8 * 1024 * 1024;

const SELINUX_SCRIPT = [
  'if command -v getenforce >/dev/null 2>&1; then exec getenforce; fi',
  'if [ -r /sys/fs/selinux/enforce ]; then',
  '  if [ "$(cat /sys/fs/selinux/enforce)" = 1 ]; then echo Enforcing; else echo Permissive; fi',
  'else echo Disabled; fi',
].join('\n');

/** Whether AppArmor is on: world-readable. The profile list is a second, root-only command. */
const APPARMOR_SCRIPT = [
  'e=/sys/module/apparmor/parameters/enabled',
  'if [ -r "$e" ]; then printf \'enabled %s\\n\' "$(cat "$e")"; else echo \'enabled N\'; fi',
  'exit 0',
].join('\n');
export const APPARMOR_PROFILES_PATH = '/sys/kernel/security/apparmor/profiles';

// ---------------------------------------------------------------- SELinux, AppArmor

export function parseSelinux(text: string): string | undefined {
  const word = text.trim().split(/\s+/)[0] ?? '';
  return /^(Enforcing|Permissive|Disabled)$/.test(word) ? word : undefined;
}

export function parseApparmor(lines: readonly string[]): { enabled: boolean; profiles: Map<string, string>; unreadable: boolean } {
  let enabled = false;
  let unreadable = false;
  const profiles = new Map<string, string>();
  for (const line of lines) {
    if (line.startsWith('enabled ')) {
      enabled = line.slice(8).trim() === 'Y';
      continue;
    }
    if (line === 'profiles unreadable') {
      unreadable = true;
      continue;
    }
    const m = /^(.+) \(([a-z_-]+)\)$/.exec(line);
    if (m?.[1] && m[2]) profiles.set(m[1], m[2]);
  }
  return { enabled, profiles, unreadable };
}

// ---------------------------------------------------------------- nftables

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: Json | undefined): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** A rule's expressions without the parts that change by themselves (counters). */
function stableExprs(exprs: Json[]): Json[] {
  return exprs.filter((e) => !(isObject(e) && 'counter' in e));
}

/** A chain as read, its rules still nft expressions. */
interface NftChain extends Omit<EvalChain, 'rules'> {
  exprs: Json[][];
}

interface NftRuleset {
  items: Record<string, Item>;
  chains: Map<string, NftChain>;
  sets: Map<string, Json[]>;
}

/** Parses `nft -j list ruleset` into items and the chains the port check walks. */
export function parseNftJson(text: string): NftRuleset | { error: string } {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (cause) {
    return { error: `not JSON: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
  const list = isObject(doc) ? doc.nftables : undefined;
  if (!Array.isArray(list)) return { error: 'no "nftables" array in the output' };
  const items: Record<string, Item> = {};
  const rules = new Map<string, string[]>();
  const chains = new Map<string, NftChain>();
  const sets = new Map<string, Json[]>();
  const chainId = (o: JsonObject, nameKey: string): string => `${str(o.family)}.${str(o.table)}.${str(o[nameKey])}`;
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const chain = entry.chain;
    if (isObject(chain)) {
      const id = chainId(chain, 'name');
      const base = chain.hook !== undefined;
      const value = base
        ? `type ${str(chain.type)} hook ${str(chain.hook)} priority ${str(chain.prio)} policy ${str(chain.policy) || 'accept'}`
        : 'regular';
      items[`nft.${str(chain.family)}.${str(chain.table)}.chain.${str(chain.name)}`] = { value };
      const evalChain: NftChain = { exprs: [] };
      if (base) {
        evalChain.hook = str(chain.hook);
        evalChain.family = str(chain.family);
        evalChain.priority = typeof chain.prio === 'number' ? chain.prio : 0;
        evalChain.policy = str(chain.policy) === 'drop' ? 'drop' : 'accept';
      }
      chains.set(id, evalChain);
      continue;
    }
    const set = isObject(entry.set) ? entry.set : isObject(entry.map) ? entry.map : undefined;
    if (set) {
      const kind = isObject(entry.set) ? 'set' : 'map';
      const flags = Array.isArray(set.flags) ? set.flags.map(str) : [];
      const dynamic = flags.includes('dynamic') || flags.includes('timeout') || set.timeout !== undefined;
      const elems = Array.isArray(set.elem) ? set.elem : [];
      if (!dynamic) sets.set(`${str(set.family)}.${str(set.table)}.@${str(set.name)}`, elems);
      const shown = dynamic
        ? '(filled at run time)'
        : elems
            .map((e) => (typeof e === 'string' ? e : canonicalJson(e)))
            .sort()
            .join(',');
      const type = Array.isArray(set.type) ? set.type.map(str).join(' . ') : str(set.type);
      items[`nft.${str(set.family)}.${str(set.table)}.${kind}.${str(set.name)}`] = {
        value: `type ${type}${flags.length > 0 ? ` flags ${flags.join(',')}` : ''} elements ${shown}`,
      };
      continue;
    }
    const rule = entry.rule;
    if (isObject(rule) && Array.isArray(rule.expr)) {
      const id = chainId(rule, 'chain');
      const exprs = stableExprs(rule.expr);
      const text = canonicalJson(exprs);
      const lines = rules.get(id) ?? [];
      lines.push(text);
      rules.set(id, lines);
      const target = chains.get(id);
      if (target) target.exprs.push(exprs);
    }
  }
  for (const [id, lines] of rules) {
    const [family = '', table = '', ...name] = id.split('.');
    items[`nft.${family}.${table}.chain.${name.join('.')}.rules`] = { value: lines.join('\n') };
  }
  return { items, chains, sets };
}

const L4 = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite']);

/** Does a value (number, range, set, named set) hold the port? undefined: cannot tell. */
function holdsPort(right: Json | undefined, port: number, sets: Map<string, Json[]>, scope: string): boolean | undefined {
  if (typeof right === 'number') return right === port;
  if (typeof right === 'string') {
    if (right.startsWith('@')) {
      const elems = sets.get(`${scope}.${right}`);
      if (!elems) return undefined;
      return anyHolds(elems, port, sets, scope);
    }
    return /^\d+$/.test(right) ? Number(right) === port : undefined;
  }
  if (Array.isArray(right)) return anyHolds(right, port, sets, scope);
  if (isObject(right)) {
    if (Array.isArray(right.range)) {
      const [lo, hi] = right.range;
      return typeof lo === 'number' && typeof hi === 'number' ? port >= lo && port <= hi : undefined;
    }
    if (Array.isArray(right.set)) return anyHolds(right.set, port, sets, scope);
    if (isObject(right.elem)) return holdsPort(right.elem.val, port, sets, scope);
  }
  return undefined;
}

function anyHolds(values: Json[], port: number, sets: Map<string, Json[]>, scope: string): boolean | undefined {
  let unknown = false;
  for (const v of values) {
    const held = holdsPort(v, port, sets, scope);
    if (held === true) return true;
    if (held === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function holdsWord(right: Json | undefined, word: string): boolean | undefined {
  if (typeof right === 'string') return right === word;
  if (Array.isArray(right)) return right.some((r) => r === word);
  if (isObject(right) && Array.isArray(right.set)) return right.set.some((r) => r === word);
  return undefined;
}

function negate(op: string, held: boolean | undefined): Applies {
  if (held === undefined) return 'maybe';
  const positive = op === '!=' ? !held : held;
  return positive ? 'yes' : 'no';
}

/** Whether one nft match expression holds for a new IPv4 connection to the port from a peer. */
function nftMatch(match: JsonObject, q: PortQuery, sets: Map<string, Json[]>, scope: string): Applies {
  const op = str(match.op) || '==';
  const left = match.left;
  const right = match.right;
  if (!isObject(left)) return 'maybe';
  const payload = left.payload;
  if (isObject(payload)) {
    const proto = str(payload.protocol);
    const field = str(payload.field);
    if (L4.has(proto) || proto === 'th') {
      if (L4.has(proto) && proto !== q.protocol) return 'no';
      if (field === 'dport') return negate(op, holdsPort(right, q.port, sets, scope));
      return 'maybe';
    }
    if ((proto === 'ip' && field === 'protocol') || (proto === 'ip6' && field === 'nexthdr')) {
      if (proto === 'ip6') return 'no';
      return negate(op, holdsWord(right, q.protocol));
    }
    if (proto === 'ip6') return 'no';
    return 'maybe';
  }
  const meta = left.meta;
  if (isObject(meta)) {
    const key = str(meta.key);
    if (key === 'l4proto') return negate(op, holdsWord(right, q.protocol));
    if (key === 'nfproto') return negate(op, holdsWord(right, 'ipv4'));
    if ((key === 'iif' || key === 'iifname') && op === '==' && right === 'lo') return 'no';
    if ((key === 'iif' || key === 'iifname') && op === '!=' && right === 'lo') return 'yes';
    return 'maybe';
  }
  const ct = left.ct;
  if (isObject(ct) && str(ct.key) === 'state') {
    const held = holdsWord(right, 'new');
    if (op === '&' || op === 'in' || op === '==') return held === undefined ? 'maybe' : held ? 'yes' : 'no';
    return negate(op, held);
  }
  return 'maybe';
}

const VERDICTS = new Set(['accept', 'drop', 'reject', 'return', 'jump', 'goto']);

/** An nft rule, as the port check sees it: does it apply, and what does it do. */
export function nftRuleFor(exprs: Json[], q: PortQuery, sets: Map<string, Json[]>, scope: string): EvalRule {
  let applies: Applies = 'yes';
  for (const expr of exprs) {
    if (!isObject(expr)) continue;
    const [kind] = Object.keys(expr);
    if (kind === undefined) continue;
    if (VERDICTS.has(kind)) {
      const body = expr[kind];
      if (kind === 'jump' || kind === 'goto') {
        const target = isObject(body) ? str(body.target) : '';
        return { applies, verdict: kind, target: `${scope}.${target}` };
      }
      return { applies, verdict: kind === 'reject' ? 'drop' : (kind as 'accept' | 'drop' | 'return') };
    }
    if (kind === 'match' && isObject(expr.match)) {
      const m = nftMatch(expr.match, q, sets, scope);
      if (m === 'no') return { applies: 'no', verdict: 'none' };
      if (m === 'maybe') applies = 'maybe';
      continue;
    }
    if (kind === 'log' || kind === 'limit' || kind === 'comment' || kind === 'counter') continue;
    // Anything else (vmap, nat, set updates, xt matches...) is not understood: it may apply.
    return { applies: 'maybe', verdict: 'none' };
  }
  return { applies, verdict: 'none' };
}

// ---------------------------------------------------------------- iptables-save

/** Splits an iptables-save rule into words, honouring double quotes (comments). */
export function splitIptablesWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (ch === '\\' && quoted && i + 1 < line.length) {
      current += line[i + 1] ?? '';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (ch === ' ' && !quoted) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

function portIn(spec: string, port: number): boolean | undefined {
  let unknown = false;
  for (const part of spec.split(',')) {
    const [lo, hi] = part.split(':');
    const a = lo === '' || lo === undefined ? 0 : Number(lo);
    const b = hi === undefined ? a : hi === '' ? 65535 : Number(hi);
    if (!Number.isInteger(a) || !Number.isInteger(b)) {
      unknown = true;
      continue;
    }
    if (port >= a && port <= b) return true;
  }
  return unknown ? undefined : false;
}

const NEUTRAL_MODULES = new Set(['comment', 'tcp', 'udp', 'multiport', 'state', 'conntrack', 'limit']);

/** An iptables rule (words after `-A CHAIN`), as the port check sees it. */
export function iptablesRuleFor(words: readonly string[], q: PortQuery, table: string): EvalRule {
  let applies: Applies = 'yes';
  let verdict: EvalRule['verdict'] = 'none';
  let target: string | undefined;
  const maybe = (): void => {
    applies = 'maybe';
  };
  for (let i = 0; i < words.length; i++) {
    let word = words[i] ?? '';
    let negated = false;
    if (word === '!') {
      negated = true;
      word = words[++i] ?? '';
    }
    const arg = words[i + 1] ?? '';
    const decide = (held: boolean | undefined): Applies => (held === undefined ? 'maybe' : held !== negated ? 'yes' : 'no');
    switch (word) {
      case '-p':
      case '--protocol': {
        i++;
        const r = decide(arg === q.protocol || arg === 'all' ? true : /^\d+$/.test(arg) ? undefined : false);
        if (r === 'no') return { applies: 'no', verdict: 'none' };
        if (r === 'maybe') maybe();
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports': {
        i++;
        const r = decide(portIn(arg, q.port));
        if (r === 'no') return { applies: 'no', verdict: 'none' };
        if (r === 'maybe') maybe();
        break;
      }
      case '-i':
      case '--in-interface':
        i++;
        if (arg === 'lo') {
          if (!negated) return { applies: 'no', verdict: 'none' };
        } else maybe();
        break;
      case '--state':
      case '--ctstate': {
        i++;
        const r = decide(arg.split(',').includes('NEW'));
        if (r === 'no') return { applies: 'no', verdict: 'none' };
        break;
      }
      case '-m':
      case '--match':
        i++;
        if (!NEUTRAL_MODULES.has(arg)) maybe();
        break;
      case '--comment':
      case '--limit':
      case '--limit-burst':
        i++;
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        i++;
        if (arg === 'ACCEPT') verdict = 'accept';
        else if (arg === 'DROP' || arg === 'REJECT') verdict = 'drop';
        else if (arg === 'RETURN') verdict = 'return';
        else if (/^[A-Za-z0-9_.-]+$/.test(arg) && !/^(LOG|NFLOG|MARK|CONNMARK|TRACE|AUDIT)$/.test(arg)) {
          verdict = word === '-g' || word === '--goto' ? 'goto' : 'jump';
          target = `${table}.${arg}`;
        }
        // LOG and the other non-terminating targets leave the verdict to the next rule.
        break;
      default:
        // -s, -d, --src-range, -m set ... and any option whose meaning is not modelled.
        if (word.startsWith('-')) {
          if (i + 1 < words.length && !(words[i + 1] ?? '').startsWith('-')) i++;
          maybe();
        }
    }
  }
  return target === undefined ? { applies, verdict } : { applies, verdict, target };
}

interface IptablesRuleset {
  items: Record<string, Item>;
  rules: Map<string, string[][]>;
  policies: Map<string, string>;
}

export function parseIptablesSave(lines: readonly string[]): IptablesRuleset | { error: string; line: number } {
  const items: Record<string, Item> = {};
  const rules = new Map<string, string[][]>();
  const policies = new Map<string, string>();
  const texts = new Map<string, string[]>();
  let table: string | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (table === undefined) return { error: 'a rule outside a *table section', line: index + 1 };
    if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(' ');
      policies.set(`${table}.${name}`, policy);
      items[`iptables.${table}.${name}`] = { value: policy === '-' ? 'regular' : `policy ${policy}` };
      continue;
    }
    // `iptables-save -c` puts the counters first: [packets:bytes] -A CHAIN ...
    const body = line.replace(/^\[\d+:\d+\]\s+/, '');
    const words = splitIptablesWords(body);
    if (words[0] !== '-A' || words[1] === undefined) return { error: 'not an "-A CHAIN ..." rule', line: index + 1 };
    const id = `${table}.${words[1]}`;
    const list = rules.get(id) ?? [];
    list.push(words.slice(2));
    rules.set(id, list);
    const text = texts.get(id) ?? [];
    text.push(body.slice(body.indexOf(words[1]) + words[1].length).trim());
    texts.set(id, text);
  }
  for (const [id, text] of texts) items[`iptables.${id}.rules`] = { value: text.join('\n') };
  return { items, rules, policies };
}

// ---------------------------------------------------------------- the facet

function firewallFromNft(text: string): { items: Record<string, Item> } | { error: string } {
  const parsed = parseNftJson(text);
  if ('error' in parsed) return parsed;
  const items: Record<string, Item> = { firewall: { value: 'nftables' }, ...parsed.items };
  for (const q of CLUSTER_PORTS) {
    const chains = new Map<string, EvalChain>();
    for (const [id, chain] of parsed.chains) {
      const scope = id.split('.').slice(0, 2).join('.');
      const { exprs, ...rest } = chain;
      chains.set(id, { ...rest, rules: exprs.map((e) => nftRuleFor(e, q, parsed.sets, scope)) });
    }
    items[`port.${q.port}/${q.protocol}`] = { value: evaluatePort(chains, ['inet', 'ip']) };
  }
  return { items };
}

function firewallFromIptables(lines: readonly string[]): { items: Record<string, Item> } | { error: string } {
  const parsed = parseIptablesSave(lines);
  if ('error' in parsed) return { error: `line ${parsed.line}: ${parsed.error}` };
  const items: Record<string, Item> = { firewall: { value: 'iptables' }, ...parsed.items };
  for (const q of CLUSTER_PORTS) {
    const chains = new Map<string, EvalChain>();
    for (const [id, policy] of parsed.policies) {
      if (!id.startsWith('filter.')) continue;
      const chain: EvalChain = { rules: (parsed.rules.get(id) ?? []).map((words) => iptablesRuleFor(words, q, 'filter')) };
      if (id === 'filter.INPUT') {
        chain.hook = 'input';
        chain.family = 'ip';
        chain.priority = 0;
        chain.policy = policy === 'DROP' ? 'drop' : 'accept';
      }
      chains.set(id, chain);
    }
    items[`port.${q.port}/${q.protocol}`] = { value: evaluatePort(chains, ['ip']) };
  }
  return { items };
}

export function parseSecurity(outputs: Outputs): ReturnType<Collector['parse']> {
  const items: Record<string, Item> = {};
  const meta: Record<string, string> = {};
  const used: string[] = [];
  const selinux = judgeOutput(outputs, SECURITY_SELINUX_ID);
  if (isReadable(selinux)) {
    const mode = parseSelinux(selinux.stdout);
    if (mode) items.selinux = { value: mode };
    else meta.selinux = `unexpected getenforce output: ${firstLine(selinux.stdout)}`;
    used.push(SECURITY_SELINUX_ID);
  } else meta.selinux = selinux.message;

  const apparmor = judgeOutput(outputs, SECURITY_APPARMOR_ID);
  if (isReadable(apparmor)) {
    const parsed = parseApparmor(outputLines(apparmor));
    items.apparmor = { value: parsed.enabled ? 'enabled' : 'disabled' };
    used.push(SECURITY_APPARMOR_ID);
    if (parsed.enabled) {
      // Profiles only where AppArmor is on; unreadable (not root, no sudo) is said in meta.
      const profiles = judgeOutput(outputs, SECURITY_APPARMOR_PROFILES_ID);
      if (isReadable(profiles)) {
        for (const [name, mode] of parseApparmor(outputLines(profiles)).profiles) items[`apparmor.profile.${name}`] = { value: mode };
        used.push(SECURITY_APPARMOR_PROFILES_ID);
      } else {
        meta.apparmor_profiles = `unreadable (root-only; ssh.sudo with \`/bin/cat ${APPARMOR_PROFILES_PATH}\` allowed): ${profiles.message}`;
      }
    }
  } else meta.apparmor = apparmor.message;

  const nft = judgeOutput(outputs, SECURITY_NFT_ID);
  const iptables = judgeOutput(outputs, SECURITY_IPTABLES_ID);
  let firewall: { items: Record<string, Item> } | { error: string } | undefined;
  // iptables-nft rules show in nft's JSON as opaque `xt` matches: iptables-save reads them better.
  const iptablesView = isReadable(iptables) && iptables.stdout.trim() !== '';
  if (isReadable(nft) && !(iptablesView && nft.stdout.includes('{"xt":'))) {
    firewall = firewallFromNft(nft.kind === 'truncated' ? '' : nft.stdout);
    used.push(SECURITY_NFT_ID);
  } else if (isReadable(iptables)) {
    firewall = firewallFromIptables(outputLines(iptables));
    used.push(SECURITY_IPTABLES_ID);
  }
  if (firewall && 'items' in firewall) Object.assign(items, firewall.items);
  else {
    // Not readable (not root), or no tool: say so in one comparable item, the reason in meta.
    const reasons = [nft, iptables].map((c) => (isReadable(c) ? '' : c.message));
    const parseError = firewall && 'error' in firewall ? firewall.error : undefined;
    const noTool = nft.kind === 'unsupported' && iptables.kind === 'unsupported';
    items.firewall = { value: noTool ? 'no tool' : 'unreadable' };
    meta.firewall = parseError ?? reasons.filter((r) => r !== '').join('; ');
  }
  if (used.length === 0 && Object.keys(items).length <= 1) {
    return { status: 'unsupported', items: {}, error: `nothing readable: ${Object.values(meta).join('; ')}` };
  }
  return settleFacet(okFacet(items, Object.keys(meta).length > 0 ? meta : undefined), outputs);
}

export const securityCollector: Collector = {
  name: 'security',
  description: '`getenforce` (or /sys/fs/selinux), /sys/module/apparmor and the profile list, `nft -j list ruleset` (else `iptables-save`)',
  defaultEnabled: false,
  commands() {
    return [
      { id: SECURITY_SELINUX_ID, argv: shArgv(SELINUX_SCRIPT), maxBytes: 64 * 1024 },
      { id: SECURITY_APPARMOR_ID, argv: shArgv(APPARMOR_SCRIPT), maxBytes: 64 * 1024 },
      { id: SECURITY_APPARMOR_PROFILES_ID, argv: ['/bin/cat', APPARMOR_PROFILES_PATH], maxBytes: MAX_BYTES, sudo: true },
      // The ruleset is root-only (CAP_NET_ADMIN): plain argv, so a sudoers rule can name it.
      { id: SECURITY_NFT_ID, argv: ['/usr/sbin/nft', '-j', 'list', 'ruleset'], maxBytes: MAX_BYTES, sudo: true },
      { id: SECURITY_IPTABLES_ID, argv: ['/usr/sbin/iptables-save'], maxBytes: MAX_BYTES, sudo: true },
    ];
  },
  parse(outputs) {
    return parseFacet('security', outputs, () => parseSecurity(outputs));
  },
};
