/**
 * users: account name -> uid, gid and primary group; group name -> gid. A service user
 * whose uid differs between nodes owns nothing of its files on shared storage after a
 * failover (the files keep the numeric uid of the node that wrote them).
 *
 * Two sources, one round trip:
 * - /etc/passwd and /etc/group, read as files: every local account (`user.<name>`,
 *   `group.<name>`). Directory accounts (LDAP, SSSD) are not enumerated: a whole
 *   directory is neither cheap nor this node's configuration.
 * - the accounts and groups the site names (`users.accounts`, `users.groups` in the
 *   config), resolved through NSS with `getent` as the services resolve them, local or
 *   directory (`named.user.<name>`, `named.group.<name>` with the members). The shipped
 *   rule pack rules/users.yaml makes their drift critical; a named account that does not
 *   resolve on a node is missing there.
 *
 * Per-node noise left out: uids/gids in systemd's dynamic-user range (61184-65519) and
 * the container/user-namespace ranges from 524288 up, which are allocated per node.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector, CollectorContext } from './collector.js';
import { okFacet, shArgv } from './util.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const USERS_PASSWD_ID = 'users-passwd';
export const USERS_GROUP_ID = 'users-group';
export const USERS_NAMED_ID = 'users-named';

const MAX_BYTES = 8 * 1024 * 1024;

/**
 * For each named account: `P <passwd line>` and `G <its primary group line>`, or
 * `U <name>` when it does not resolve; after `--groups`, `N <group line>` or `M <name>`.
 * Names reach the shell only as positional parameters.
 */
const NAMED_SCRIPT = [
  'mode=user',
  'for a in "$@"; do',
  '  if [ "$a" = --groups ]; then mode=group; continue; fi',
  '  if [ "$mode" = user ]; then',
  '    if line=$(getent passwd "$a"); then',
  '      printf \'P %s\\n\' "$line"',
  '      rest=${line#*:*:*:}; gid=${rest%%:*}',
  '      if g=$(getent group "$gid"); then printf \'G %s\\n\' "$g"; fi',
  '    else printf \'U %s\\n\' "$a"; fi',
  '  else',
  '    if line=$(getent group "$a"); then printf \'N %s\\n\' "$line"; else printf \'M %s\\n\' "$a"; fi',
  '  fi',
  'done',
  'exit 0',
].join('\n');

/** systemd's DynamicUser= range and the container ranges: allocated per node, never drift. */
export function isPerNodeId(id: number): boolean {
  return (id >= 61184 && id <= 65519) || id >= 524288;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function numeric(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}

/** One passwd(5) line, or undefined for comments, NIS `+`/`-` lines and malformed lines. */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return undefined;
  const fields = line.split(':');
  if (fields.length < 4) return undefined;
  const [name = '', , uidText, gidText] = fields;
  const uid = numeric(uidText);
  const gid = numeric(gidText);
  if (name === '' || uid === undefined || gid === undefined) return undefined;
  return { name, uid, gid };
}

/** One group(5) line, or undefined for comments, NIS lines and malformed lines. */
export function parseGroupLine(line: string): GroupEntry | undefined {
  if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return undefined;
  const fields = line.split(':');
  if (fields.length < 3) return undefined;
  const [name = '', , gidText, memberText = ''] = fields;
  const gid = numeric(gidText);
  if (name === '' || gid === undefined) return undefined;
  const members = memberText
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return { name, gid, members: [...new Set(members)].sort() };
}

export function userValue(entry: PasswdEntry, groupName: string | undefined): string {
  return `uid=${entry.uid} gid=${entry.gid}(${groupName ?? '?'})`;
}

export function groupValue(entry: GroupEntry, withMembers: boolean): string {
  return withMembers ? `gid=${entry.gid} members=${entry.members.join(',')}` : `gid=${entry.gid}`;
}

interface Parsed<T> {
  entries: T[];
  malformed: number[];
}

function parseLines<T>(lines: readonly string[], parseLine: (line: string) => T | undefined): Parsed<T> {
  const entries: T[] = [];
  const malformed: number[] = [];
  lines.forEach((line, index) => {
    const entry = parseLine(line);
    if (entry) entries.push(entry);
    else if (line.trim() !== '' && !/^[#+-]/.test(line)) malformed.push(index + 1);
  });
  return { entries, malformed };
}

/** The first of each name wins, as NSS `files` does. */
function firstByName<T extends { name: string }>(entries: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const e of entries) if (!out.has(e.name)) out.set(e.name, e);
  return out;
}

function firstByGid(entries: readonly GroupEntry[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of entries) if (!out.has(e.gid)) out.set(e.gid, e.name);
  return out;
}

/** The named accounts' lines from the getent script. */
export function parseNamedOutput(text: string): { users: Map<string, string>; groups: Map<string, string> } {
  const users = new Map<string, string>();
  const groups = new Map<string, string>();
  let pending: PasswdEntry | undefined;
  const flush = (groupName?: string): void => {
    if (pending && !users.has(pending.name)) users.set(pending.name, userValue(pending, groupName));
    pending = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const tag = line.slice(0, 2);
    const body = line.slice(2);
    if (tag === 'P ') {
      flush();
      pending = parsePasswdLine(body);
    } else if (tag === 'G ') {
      flush(parseGroupLine(body)?.name);
    } else if (tag === 'N ') {
      flush();
      const g = parseGroupLine(body);
      if (g && !groups.has(g.name)) groups.set(g.name, groupValue(g, true));
    } else {
      flush();
    }
  }
  flush();
  return { users, groups };
}

function namedArgs(ctx: CollectorContext): string[] {
  const accounts = ctx.usersAccounts ?? [];
  const groups = ctx.usersGroups ?? [];
  return [...accounts, '--groups', ...groups];
}

export function parseUsers(outputs: Outputs, ctx: CollectorContext): ReturnType<Collector['parse']> {
  const passwd = judgeOutput(outputs, USERS_PASSWD_ID);
  if (!isReadable(passwd)) return facetOf(passwd);
  const group = judgeOutput(outputs, USERS_GROUP_ID);
  if (!isReadable(group)) return facetOf(group);
  const users = parseLines(outputLines(passwd), parsePasswdLine);
  const groups = parseLines(outputLines(group), parseGroupLine);
  const gidNames = firstByGid(groups.entries);
  const namedUsers = new Set(ctx.usersAccounts ?? []);
  const namedGroups = new Set(ctx.usersGroups ?? []);
  const items: Record<string, Item> = {};
  const meta: Record<string, string> = {};
  for (const [name, entry] of firstByName(users.entries)) {
    if (namedUsers.has(name) || isPerNodeId(entry.uid)) continue;
    items[`user.${name}`] = { value: userValue(entry, gidNames.get(entry.gid)) };
  }
  for (const [name, entry] of firstByName(groups.entries)) {
    if (namedGroups.has(name) || isPerNodeId(entry.gid)) continue;
    items[`group.${name}`] = { value: groupValue(entry, false) };
  }
  if (users.malformed.length > 0) meta.passwd_malformed_lines = users.malformed.slice(0, 20).join(' ');
  if (groups.malformed.length > 0) meta.group_malformed_lines = groups.malformed.slice(0, 20).join(' ');
  const ids = [USERS_PASSWD_ID, USERS_GROUP_ID];
  if (namedUsers.size > 0 || namedGroups.size > 0) {
    const named = judgeOutput(outputs, USERS_NAMED_ID);
    if (!isReadable(named)) {
      meta.named = `unavailable: ${named.message}`;
    } else {
      const parsed = parseNamedOutput(outputLines(named).join('\n'));
      for (const [name, value] of parsed.users) if (namedUsers.has(name)) items[`named.user.${name}`] = { value };
      for (const [name, value] of parsed.groups) if (namedGroups.has(name)) items[`named.group.${name}`] = { value };
      ids.push(USERS_NAMED_ID);
    }
  }
  return settleFacet(okFacet(items, Object.keys(meta).length > 0 ? meta : undefined), outputs);
}

export const usersCollector: Collector = {
  name: 'users',
  description: '/etc/passwd, /etc/group; `getent passwd`/`group` for the accounts named in `users:`',
  defaultEnabled: true,
  commands(ctx) {
    const specs = [
      { id: USERS_PASSWD_ID, argv: ['/bin/cat', '/etc/passwd'], maxBytes: MAX_BYTES },
      { id: USERS_GROUP_ID, argv: ['/bin/cat', '/etc/group'], maxBytes: MAX_BYTES },
    ];
    if ((ctx.usersAccounts ?? []).length > 0 || (ctx.usersGroups ?? []).length > 0) {
      specs.push({ id: USERS_NAMED_ID, argv: shArgv(NAMED_SCRIPT, ...namedArgs(ctx)), maxBytes: MAX_BYTES });
    }
    return specs;
  },
  parse(outputs, ctx) {
    return parseFacet('users', outputs, () => parseUsers(outputs, ctx));
  },
};
