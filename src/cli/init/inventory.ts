/**
 * Ansible inventories as driftd clusters: each group that lists hosts directly becomes a
 * cluster, each host a node (ansible_host and ansible_port where set). Three forms: the
 * JSON of `ansible-inventory --list`, an INI inventory and a YAML inventory. Pure, never throw.
 */
import { parse as parseYaml } from 'yaml';

export interface InventoryHost {
  name: string;
  host: string;
  port: number | null;
}

export interface InventoryGroup {
  name: string;
  hosts: InventoryHost[];
}

export type InventoryResult = { ok: true; groups: InventoryGroup[] } | { ok: false; error: string };

type Vars = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hostOf(name: string, vars: Vars | undefined): InventoryHost {
  const host = vars?.['ansible_host'];
  const port = Number(vars?.['ansible_port']);
  return {
    name,
    host: typeof host === 'string' && host !== '' ? host : name,
    port: Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null,
  };
}

const PSEUDO_GROUPS = new Set(['all', 'ungrouped', '_meta']);

/** `ansible-inventory --list` output. */
export function inventoryFromJson(text: string): InventoryResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(data)) return { ok: false, error: 'expected the JSON object ansible-inventory --list prints' };
  const meta = isRecord(data['_meta']) && isRecord(data['_meta']['hostvars']) ? data['_meta']['hostvars'] : {};
  const groups: InventoryGroup[] = [];
  for (const [name, group] of Object.entries(data)) {
    if (PSEUDO_GROUPS.has(name) || !isRecord(group) || !Array.isArray(group['hosts'])) continue;
    const hosts = group['hosts'].filter((h): h is string => typeof h === 'string');
    const vars = (h: string): Vars | undefined => (isRecord(meta[h]) ? meta[h] : undefined);
    if (hosts.length > 0) groups.push({ name, hosts: hosts.map((h) => hostOf(h, vars(h))) });
  }
  return { ok: true, groups };
}

/** An INI inventory: `[group]` sections of `host key=value ...` lines; `:vars`/`:children` sections skipped. */
export function inventoryFromIni(text: string): InventoryResult {
  const groups = new Map<string, InventoryHost[]>();
  let current: string | null = 'ungrouped';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\s[#;].*$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      const name = section[1] ?? '';
      current = name.includes(':') ? null : name;
      continue;
    }
    if (line.startsWith('[')) return { ok: false, error: `line ${i + 1}: malformed section header "${line}"` };
    if (current === null) continue;
    const [name, ...pairs] = line.split(/\s+/);
    if (!name) continue;
    const vars: Vars = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq > 0) vars[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^(['"])(.*)\1$/, '$2');
    }
    groups.set(current, [...(groups.get(current) ?? []), hostOf(name, vars)]);
  }
  return { ok: true, groups: [...groups].filter(([name]) => !PSEUDO_GROUPS.has(name)).map(([name, hosts]) => ({ name, hosts })) };
}

/** A YAML inventory: `all: { children: { group: { hosts: { name: { ansible_host: ... } } } } }`, nested. */
export function inventoryFromYaml(text: string): InventoryResult {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    return { ok: false, error: `not YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(data)) return { ok: false, error: 'expected a YAML mapping of groups (all: ...)' };
  const groups: InventoryGroup[] = [];
  const visit = (name: string, group: unknown, depth: number): void => {
    if (!isRecord(group) || depth > 32) return;
    const hosts = isRecord(group['hosts']) ? Object.entries(group['hosts']) : [];
    if (hosts.length > 0 && !PSEUDO_GROUPS.has(name)) {
      groups.push({ name, hosts: hosts.map(([h, vars]) => hostOf(h, isRecord(vars) ? vars : undefined)) });
    }
    if (isRecord(group['children'])) for (const [child, value] of Object.entries(group['children'])) visit(child, value, depth + 1);
  };
  for (const [name, group] of Object.entries(data)) visit(name, group, 0);
  return { ok: true, groups };
}

/** Picks the parser by content: JSON object, YAML mapping, else INI. */
export function parseInventory(text: string): InventoryResult {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return inventoryFromJson(text);
  if (/^[A-Za-z0-9_-]+:\s*(#.*)?$/m.test(trimmed.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '')) {
    return inventoryFromYaml(text);
  }
  return inventoryFromIni(text);
}
