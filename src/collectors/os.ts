/**
 * os: which distribution and release a node runs, on which architecture.
 * Peers of one cluster are expected to match; the hostname is recorded but never
 * compared (it is what tells the nodes apart).
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { okFacet, shArgv } from './util.js';

export const OS_COMMAND_IDS = ['os-release', 'os-hostname', 'os-arch'] as const;

/** os-release(5): /etc first, /usr/lib as the documented fallback. */
const OS_RELEASE_SCRIPT = 'if [ -r /etc/os-release ]; then exec cat /etc/os-release; fi; exec cat /usr/lib/os-release';

/** The os-release fields kept as items, by their item key. */
const OS_RELEASE_FIELDS: Record<string, string> = {
  ID: 'id',
  VERSION_ID: 'version_id',
  PRETTY_NAME: 'pretty_name',
};

/**
 * Parses os-release's shell-compatible assignments: bare, "double" (with \\ \" \$ \`
 * escapes) or 'single' quoted values. Lines that are not assignments are skipped.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match || match[1] === undefined || match[2] === undefined) continue;
    fields[match[1]] = unquoteShellValue(match[2]);
  }
  return fields;
}

function unquoteShellValue(value: string): string {
  if (value.startsWith('"')) {
    let out = '';
    for (let i = 1; i < value.length; i++) {
      const ch = value[i];
      if (ch === '"') break;
      if (ch === '\\' && i + 1 < value.length && '\\"$`'.includes(value[i + 1] ?? '')) {
        out += value[i + 1];
        i++;
      } else {
        out += ch;
      }
    }
    return out;
  }
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return end === -1 ? value.slice(1) : value.slice(1, end);
  }
  return value.trim();
}

export const osCollector: Collector = {
  name: 'os',
  description: '/etc/os-release, hostname, `uname -m`',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'os-release', argv: shArgv(OS_RELEASE_SCRIPT) },
      { id: 'os-hostname', argv: ['/bin/uname', '-n'] },
      { id: 'os-arch', argv: ['/bin/uname', '-m'] },
    ];
  },
  parse(outputs) {
    return parseFacet('os', outputs, () => {
      const release = judgeOutput(outputs, 'os-release');
      if (!isReadable(release)) return facetOf(release);
      const items: Record<string, Item> = {};
      const fields = parseOsRelease(release.stdout);
      for (const [field, key] of Object.entries(OS_RELEASE_FIELDS)) {
        const value = fields[field];
        if (value !== undefined) items[key] = { value };
      }
      const arch = judgeOutput(outputs, 'os-arch');
      if (!isReadable(arch)) return facetOf(arch);
      const archLine = outputLines(arch)[0]?.trim();
      if (archLine) items.arch = { value: archLine };
      const host = judgeOutput(outputs, 'os-hostname');
      if (!isReadable(host)) return facetOf(host);
      const hostname = outputLines(host)[0]?.trim();
      if (hostname) items.hostname = { value: hostname, nodeSpecific: 'the hostname names the node' };
      return okFacet(items);
    });
  },
};
