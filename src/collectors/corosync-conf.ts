/**
 * corosync.conf (and the cmap runtime view) flattened into comparable keys.
 *
 * The file grammar is corosync's own (exec/coroparse.c): one statement per line,
 * `name {` opens a section, `}` closes it, `key: value` sets a value (split at the
 * first colon, so IPv6 addresses survive), `#` starts a comment line. Inline
 * comments are not a thing in corosync: the text after the colon is the value.
 */

export interface CorosyncEntry {
  key: string;
  value: string;
  line: number;
}

export type CorosyncConfResult = { ok: true; entries: CorosyncEntry[] } | { ok: false; error: string; line: number };

/**
 * Sections that may repeat, and the keys that tell their instances apart. The first
 * key present names the instance (`nodelist.node[name=erp-a]`), so the flattened keys
 * stay stable when sections are reordered.
 */
const INSTANCE_KEYS: Readonly<Record<string, readonly string[]>> = {
  interface: ['linknumber', 'ringnumber'],
  node: ['name', 'nodeid', 'ring0_addr'],
  logger_subsys: ['subsys'],
};

interface RawSection {
  name: string;
  line: number;
  values: { key: string; value: string; line: number }[];
  sections: RawSection[];
}

function parseTree(text: string): RawSection | { error: string; line: number } {
  const root: RawSection = { name: '', line: 0, values: [], sections: [] };
  const stack: RawSection[] = [root];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const line = (lines[index] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const current = stack[stack.length - 1] ?? root;
    if (line.endsWith('{')) {
      const name = line.slice(0, -1).trim();
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
        return { error: `line ${lineNo}: bad section name in "${line}"`, line: lineNo };
      }
      const section: RawSection = { name, line: lineNo, values: [], sections: [] };
      current.sections.push(section);
      stack.push(section);
    } else if (line === '}') {
      if (stack.length === 1) return { error: `line ${lineNo}: "}" without an open section`, line: lineNo };
      stack.pop();
    } else {
      const colon = line.indexOf(':');
      const key = colon < 0 ? '' : line.slice(0, colon).trim();
      if (!/^[A-Za-z0-9_.-]+$/.test(key)) {
        return { error: `line ${lineNo}: expected "key: value", "name {" or "}", got "${line}"`, line: lineNo };
      }
      if (stack.length === 1) {
        return { error: `line ${lineNo}: "${key}" outside any section`, line: lineNo };
      }
      current.values.push({ key, value: line.slice(colon + 1).trim(), line: lineNo });
    }
  }
  const open = stack[stack.length - 1];
  if (stack.length > 1 && open) {
    return { error: `line ${open.line}: section "${open.name}" is never closed`, line: open.line };
  }
  return root;
}

function instanceLabel(section: RawSection): string | undefined {
  for (const key of INSTANCE_KEYS[section.name] ?? []) {
    const found = section.values.find((v) => v.key === key);
    if (found) return `${key}=${found.value}`;
  }
  return undefined;
}

function flatten(section: RawSection, prefix: string, out: CorosyncEntry[]): void {
  for (const { key, value, line } of section.values) out.push({ key: `${prefix}${key}`, value, line });
  const seen = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const child of section.sections) counts.set(child.name, (counts.get(child.name) ?? 0) + 1);
  for (const child of section.sections) {
    const occurrence = seen.get(child.name) ?? 0;
    seen.set(child.name, occurrence + 1);
    const label = instanceLabel(child);
    let segment = child.name;
    if (label !== undefined) segment = `${child.name}[${label}]`;
    // No identifying key: the position is the only identity left, and only matters when repeated.
    else if ((counts.get(child.name) ?? 0) > 1) segment = `${child.name}[#${occurrence}]`;
    flatten(child, `${prefix}${segment}.`, out);
  }
}

/** Parses corosync.conf text into flattened entries; never throws. */
export function parseCorosyncConf(text: string): CorosyncConfResult {
  const tree = parseTree(text);
  if ('error' in tree) return { ok: false, error: tree.error, line: tree.line };
  const entries: CorosyncEntry[] = [];
  flatten(tree, '', entries);
  return { ok: true, entries };
}

export interface CmapEntry {
  key: string;
  type: string;
  value: string;
}

export type CmapResult = { ok: true; entries: CmapEntry[] } | { ok: false; error: string; line: number };

const CMAP_LINE = /^(\S+) \(([a-z0-9]+)\) = ?(.*)$/;

/** Parses `corosync-cmapctl` output (`key (type) = value` lines); never throws. */
export function parseCmapctl(text: string): CmapResult {
  const entries: CmapEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    const match = CMAP_LINE.exec(line);
    if (!match) {
      return { ok: false, error: `line ${index + 1}: expected "key (type) = value", got "${line.slice(0, 120)}"`, line: index + 1 };
    }
    entries.push({ key: match[1] ?? '', type: match[2] ?? '', value: (match[3] ?? '').trim() });
  }
  return { ok: true, entries };
}

/**
 * cmap keys that change on their own (counters, timestamps, blackbox triggers) and say
 * nothing about configuration. Dropped, so a healthy cluster shows no runtime churn.
 */
const CMAP_VOLATILE: readonly RegExp[] = [
  /^runtime\.services\./,
  /^runtime\.connections\./,
  /^runtime\.totem\./,
  /^runtime\.stats\./,
  /^runtime\.schedmiss\./,
  /^runtime\.blackbox\./,
  /^runtime\.force_gather$/,
  /^runtime\.members\.[^.]+\.join_count$/,
  /^resources\..*\.(current|last_updated|state)$/,
  /^config\.(totemconfig_)?reload_in_progress$/,
  /^stats\./,
];

/** cmap keys that are legitimately different on each node, with the reason. */
const CMAP_NODE_SPECIFIC: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /^nodelist\.local_node_pos$/, reason: 'position of this node in the nodelist: per-node by design' },
  { pattern: /^runtime\.votequorum\.this_node_id$/, reason: "this node's own node id: per-node by design" },
  {
    pattern: /^totem\.interface\.[^.]+\.bindnetaddr$/,
    reason: "filled in by corosync with this node's own link address when nodelist is used",
  },
  {
    pattern: /^runtime\.members\.[^.]+\.status$/,
    reason: 'membership state as seen by this node at collection time, not configuration',
  },
];

export function isVolatileCmapKey(key: string): boolean {
  return CMAP_VOLATILE.some((pattern) => pattern.test(key));
}

export function cmapNodeSpecificReason(key: string): string | undefined {
  return CMAP_NODE_SPECIFIC.find(({ pattern }) => pattern.test(key))?.reason;
}

/** corosync.conf keys that differ per node on purpose. */
export function confNodeSpecificReason(key: string): string | undefined {
  if (key === 'totem.nodeid') return "totem.nodeid is this node's own id (corosync 1/2 style): per-node by design";
  return undefined;
}
