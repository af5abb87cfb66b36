/**
 * modules: the loaded kernel modules and the version each one declares. Loaded modules
 * come from /proc/modules; versions from /sys/module/<name>/{version,srcversion}, which
 * describe the module in memory (modinfo would read the file on disk, which may have
 * been replaced since it was loaded).
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { errorFacet, okFacet, shArgv, unsupportedFacet } from './util.js';

export const MODULES_COMMAND_IDS = ['modules-proc', 'modules-sysfs'] as const;

/**
 * `name<TAB>version<TAB>srcversion` for each module in /sys/module that declares
 * either. Built-in modules appear here too; only those listed in /proc/modules count.
 */
const SYSFS_SCRIPT = [
  'for d in /sys/module/*; do',
  '  [ -d "$d" ] || continue',
  '  v=; s=',
  '  [ -r "$d/version" ] && v=$(cat "$d/version" 2>/dev/null)',
  '  [ -r "$d/srcversion" ] && s=$(cat "$d/srcversion" 2>/dev/null)',
  '  [ -n "$v$s" ] && printf \'%s\\t%s\\t%s\\n\' "${d#/sys/module/}" "$v" "$s"',
  'done',
  'exit 0',
].join('\n');

/** Value of a loaded module that declares neither version nor srcversion. */
export const NO_VERSION = 'loaded';

export const modulesCollector: Collector = {
  name: 'modules',
  description: '/proc/modules, /sys/module/*/version',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'modules-proc', argv: ['/bin/cat', '/proc/modules'] },
      { id: 'modules-sysfs', argv: shArgv(SYSFS_SCRIPT) },
    ];
  },
  parse(outputs) {
    return parseFacet('modules', outputs, () => {
      const proc = judgeOutput(outputs, 'modules-proc');
      if (proc.kind === 'unsupported') {
        return unsupportedFacet(`${proc.message} (kernel without loadable module support, or a container)`);
      }
      if (!isReadable(proc)) return facetOf(proc);
      const loaded: string[] = [];
      for (const [index, line] of outputLines(proc).entries()) {
        if (line.trim() === '') continue;
        // /proc/modules: name size refcount deps state address [taint]
        const name = line.split(/\s+/)[0] ?? '';
        if (!/^[A-Za-z0-9_-]+$/.test(name)) {
          return errorFacet(`modules-proc: line ${index + 1}: not a /proc/modules line: ${line.slice(0, 120)}`);
        }
        loaded.push(name);
      }

      const versions = new Map<string, string>();
      const sysfs = judgeOutput(outputs, 'modules-sysfs');
      // Without /sys versions the modules are still worth listing.
      const meta: Record<string, string> = {};
      if (isReadable(sysfs)) {
        for (const line of outputLines(sysfs)) {
          const [name, version, srcversion] = line.split('\t');
          if (!name) continue;
          const parts = [version ? `version=${version}` : '', srcversion ? `srcversion=${srcversion}` : ''];
          versions.set(name, parts.filter(Boolean).join(' '));
        }
      } else {
        meta.versions = sysfs.message;
      }

      const items: Record<string, Item> = {};
      for (const name of loaded) items[name] = { value: versions.get(name) || NO_VERSION };
      return okFacet(items, Object.keys(meta).length > 0 ? meta : undefined);
    });
  },
};
