/**
 * multipath: the dm-multipath settings (/etc/multipath.conf and /etc/multipath/conf.d/*.conf,
 * read the way multipathd reads them: comments, blank lines, indentation, quotes and
 * order do not count) and the maps `multipath -ll` reports, keyed by WWID so the same
 * LUN lines up on every node: its alias (a LUN named differently on the failover target
 * is not found there), vendor/product, size, features, hardware handler, and how many of
 * its paths and path groups there are and are usable. Unsupported without multipath-tools.
 */
import { multipathStatements } from '../core/engine/config-text.js';
import type { FacetSnapshot, Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { firstLine, okFacet, shArgv } from './util.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet, settleFacet, type Outputs } from './output.js';

export const MULTIPATH_COMMAND_IDS = ['multipath-conf', 'multipath-ll'] as const;

/** The configuration files behind `==> path <==` headers; exit 127 when multipath-tools is absent. */
const CONF_SCRIPT = [
  'command -v multipath >/dev/null 2>&1 || { echo "multipath: command not found (multipath-tools not installed)" >&2; exit 127; }',
  'for f in /etc/multipath.conf /etc/multipath/conf.d/*.conf; do',
  '  [ -f "$f" ] || continue',
  '  printf \'==> %s <==\\n\' "$f"',
  '  cat -- "$f"',
  "  printf '\\n'",
  'done',
  'exit 0',
].join('\n');

/** Subsections named by the keywords that identify them (multipath.conf(5)). */
const SECTION_ID: Record<string, readonly string[]> = {
  device: ['vendor', 'product'],
  multipath: ['wwid'],
};

/** Sections whose keywords are lists that add up (blacklist devnode, wwid, property, ...). */
const LIST_SECTIONS = /^conf\.(blacklist|blacklist_exceptions)(\.|$)/;

interface Section {
  name: string;
  leaves: { key: string; value: string; line: number }[];
  children: Section[];
}

function parseSections(text: string): Section {
  const root: Section = { name: '', leaves: [], children: [] };
  const stack: Section[] = [root];
  for (const s of multipathStatements(text)) {
    const top = stack[stack.length - 1] ?? root;
    if ('open' in s) {
      const section: Section = { name: s.open, leaves: [], children: [] };
      top.children.push(section);
      stack.push(section);
    } else if ('close' in s) {
      if (stack.length > 1) stack.pop();
    } else {
      const [key, ...rest] = s.leaf;
      if (key) top.leaves.push({ key, value: rest.join(' '), line: s.line });
    }
  }
  return root;
}

function label(section: Section, index: number): string {
  const ids = SECTION_ID[section.name];
  if (ids) {
    const parts = ids.map((id) => section.leaves.find((l) => l.key === id)?.value).filter((v): v is string => v !== undefined);
    if (parts.length > 0) return `${section.name}[${parts.join('/')}]`;
  }
  return `${section.name}[${index}]`;
}

/**
 * conf.<section>[.<subsection>[label]].<keyword> -> value. A keyword given several times
 * in one section (blacklist `devnode`, `wwid`) is one item listing its values, sorted.
 */
export function multipathConfItems(files: readonly { path: string; text: string }[]): Record<string, Item> {
  // Collected first, joined once at the end: a list keyword repeated in many sections or
  // files stays linear.
  const acc = new Map<string, { values: string[]; source: string }>();
  const set = (itemKey: string, values: readonly string[], source: string, list: boolean): void => {
    const prior = acc.get(itemKey);
    // A later file (conf.d) overrides a setting; a list keyword adds to it.
    if (list && prior) {
      for (const v of values) prior.values.push(v);
      prior.source = source;
    } else acc.set(itemKey, { values: [...values], source });
  };
  const walk = (section: Section, prefix: string, file: string): void => {
    const byKey = new Map<string, { values: string[]; line: number }>();
    for (const leaf of section.leaves) {
      const entry = byKey.get(leaf.key) ?? { values: [], line: leaf.line };
      entry.values.push(leaf.value);
      byKey.set(leaf.key, entry);
    }
    const list = LIST_SECTIONS.test(prefix);
    for (const [key, { values, line }] of byKey) set(`${prefix}.${key}`, values, `${file}:${line}`, list);
    const seen = new Map<string, number>();
    for (const child of section.children) {
      const n = seen.get(child.name) ?? 0;
      seen.set(child.name, n + 1);
      walk(child, `${prefix}.${label(child, n)}`, file);
    }
  };
  for (const { path, text } of files) {
    const root = parseSections(text);
    for (const leaf of root.leaves) set(`conf.${leaf.key}`, [leaf.value], `${path}:${leaf.line}`, false);
    const seen = new Map<string, number>();
    for (const section of root.children) {
      const n = seen.get(section.name) ?? 0;
      seen.set(section.name, n + 1);
      walk(section, SECTION_ID[section.name] ? `conf.${label(section, n)}` : `conf.${section.name}`, path);
    }
  }
  const items: Record<string, Item> = {};
  for (const [key, { values, source }] of acc) items[key] = { value: (values.length > 1 ? values.sort() : values).join(' | '), source };
  return items;
}

/** The `==> path <==` blocks of the configuration script. */
export function splitFiles(text: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  let current: { path: string; lines: string[] } | undefined;
  const files: { path: string; lines: string[] }[] = [];
  for (const line of text.split('\n')) {
    const head = /^==> (\/.+) <==$/.exec(line);
    if (head?.[1]) {
      current = { path: head[1], lines: [] };
      files.push(current);
    } else current?.lines.push(line);
  }
  for (const f of files) out.push({ path: f.path, text: f.lines.join('\n') });
  return out;
}

interface MultipathMap {
  wwid: string;
  alias?: string;
  vendor?: string;
  fields: Map<string, string>;
  groups: { policy?: string; prio?: string; status?: string }[];
  paths: { state: string }[];
}

const MAP_HEADER = /^(\S+)(?: \(([^)]+)\))? (dm-\d+) ?(.*)$/;
const KEY_VALUES = /(\w+)=('[^']*'|\S+)/g;

/**
 * `multipath -ll` (multipath-tools' default topology format): per map a header
 * `alias (wwid) dm-N vendor,product` (or `wwid dm-N ...` without an alias), a
 * `size=... features='...' hwhandler='...' wp=...` line, then path groups
 * (`policy='...' prio=N status=...`) and their paths (`H:C:T:L dev maj:min dm_state
 * path_state online_state`) drawn with `|-+-`, `` `- `` and `| ` prefixes.
 */
export function parseMultipathLl(lines: readonly string[]): MultipathMap[] {
  const maps: MultipathMap[] = [];
  let map: MultipathMap | undefined;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const tree = /^[|`\s-]*[|`][-+]*[-+]\s?(.*)$/.exec(line);
    if (map && (tree || /^\s/.test(line))) {
      const body = (tree?.[1] ?? line).trim();
      if (body.startsWith('policy=')) {
        const group: MultipathMap['groups'][number] = {};
        for (const m of body.matchAll(KEY_VALUES)) {
          const value = (m[2] ?? '').replace(/^'|'$/g, '');
          if (m[1] === 'policy') group.policy = value;
          else if (m[1] === 'prio') group.prio = value;
          else if (m[1] === 'status') group.status = value;
        }
        map.groups.push(group);
        continue;
      }
      const path = /^\S+:\S+:\S+:\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)/.exec(body);
      if (path) {
        map.paths.push({ state: `${path[1] ?? ''} ${path[2] ?? ''}` });
        continue;
      }
      continue;
    }
    if (map && line.startsWith('size=')) {
      for (const m of line.matchAll(KEY_VALUES)) map.fields.set(m[1] ?? '', (m[2] ?? '').replace(/^'|'$/g, ''));
      continue;
    }
    const header = MAP_HEADER.exec(line);
    if (header?.[1]) {
      const wwid = header[2] ?? header[1];
      map = { wwid, fields: new Map(), groups: [], paths: [] };
      if (header[2] !== undefined) map.alias = header[1];
      if (header[4]) map.vendor = header[4].trim();
      maps.push(map);
      continue;
    }
    map = undefined;
  }
  return maps;
}

/** map.<wwid>.* items: compared between nodes (the same LUN on each). */
export function mapItems(maps: readonly MultipathMap[]): Record<string, Item> {
  const items: Record<string, Item> = {};
  for (const m of maps) {
    const prefix = `map.${m.wwid}`;
    items[`${prefix}.alias`] = { value: m.alias ?? m.wwid };
    if (m.vendor) items[`${prefix}.vendor`] = { value: m.vendor };
    for (const field of ['size', 'features', 'hwhandler', 'wp']) {
      const v = m.fields.get(field);
      if (v !== undefined) items[`${prefix}.${field}`] = { value: v };
    }
    items[`${prefix}.groups`] = { value: String(m.groups.length) };
    const policies = [...new Set(m.groups.map((g) => g.policy).filter((p): p is string => p !== undefined))].sort();
    if (policies.length > 0) items[`${prefix}.policy`] = { value: policies.join(' | ') };
    items[`${prefix}.paths`] = { value: String(m.paths.length) };
    items[`${prefix}.paths.usable`] = { value: String(m.paths.filter((p) => p.state.startsWith('active ready')).length) };
  }
  return items;
}

/**
 * The line of multipath's stderr that says why: its own timestamps (`1058.56 | `) and the
 * harmless open-files warning left out, so the same failure reads the same every run.
 */
export function llReason(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\s*\d+\.\d+ \| /, '').trim())
    .filter((l) => l !== '' && !/open fds limit/.test(l));
  const line = lines.find((l) => /device-mapper/i.test(l)) ?? lines.find((l) => /permission|denied|not found|No such/i.test(l)) ?? lines[0];
  return line === undefined ? undefined : `multipath-ll: ${firstLine(line)}`;
}

function parseMultipath(outputs: Outputs): FacetSnapshot {
  const conf = judgeOutput(outputs, 'multipath-conf');
  if (!isReadable(conf)) return facetOf(conf);
  const files = splitFiles(conf.stdout);
  const items = multipathConfItems(files);
  const meta: Record<string, string> = { files: files.map((f) => f.path).join(' ') || '(none: built-in defaults)' };
  const ll = judgeOutput(outputs, 'multipath-ll');
  if (isReadable(ll)) {
    Object.assign(items, mapItems(parseMultipathLl(outputLines(ll))));
    meta.runtime = 'multipath -ll';
  } else {
    // No device-mapper, or not allowed to ask it: the settings are still worth comparing.
    meta.runtime = `unavailable: ${llReason(outputs['multipath-ll']?.stderr ?? '') ?? ll.message}`;
  }
  return settleFacet(okFacet(items, meta), outputs);
}

export const multipathCollector: Collector = {
  name: 'multipath',
  description: '/etc/multipath.conf, /etc/multipath/conf.d/*.conf, `multipath -ll` (sudo)',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'multipath-conf', argv: shArgv(CONF_SCRIPT) },
      // Reading device-mapper tables needs root, hence sudo.
      { id: 'multipath-ll', argv: ['/sbin/multipath', '-ll'], sudo: true },
    ];
  },
  parse(outputs) {
    return parseFacet('multipath', outputs, () => parseMultipath(outputs));
  },
};
