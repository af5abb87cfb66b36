/**
 * services: each service unit's enablement, and for the enabled ones whether they run.
 * Unit-file states are read from disk by systemctl and work without a running systemd;
 * the active state needs systemd as PID 1, so without it the facet keeps states only.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { errorFacet, firstLine, okFacet, shArgv } from './util.js';

export const SERVICES_COMMAND_IDS = ['services-unit-files', 'services-active'] as const;

const FIND_SYSTEMCTL = [
  'sc=',
  'for s in /bin/systemctl /usr/bin/systemctl; do [ -x "$s" ] && { sc=$s; break; }; done',
  '[ -n "$sc" ] || { echo "systemctl: not found (no systemd)" >&2; exit 127; }',
];

const UNIT_FILES_SCRIPT = [...FIND_SYSTEMCTL, 'exec "$sc" list-unit-files --type=service --no-legend --no-pager'].join('\n');

/**
 * `unit<TAB>state` for every enabled, non-template service, from ONE `is-active` call.
 * is-active prints one state per unit in argument order, so the script pairs them
 * itself: the recorded output then stands on its own. is-active exits non-zero when
 * any unit is inactive, which is normal; a systemd that is not running prints nothing
 * on stdout and its reason on stderr.
 */
const ACTIVE_SCRIPT = [
  ...FIND_SYSTEMCTL,
  // sd_booted(3): without /run/systemd/system there is no manager to ask.
  '[ -d /run/systemd/system ] || { echo "System has not been booted with systemd as init system (no /run/systemd/system)" >&2; exit 3; }',
  'set -f',
  'units=$("$sc" list-unit-files --type=service --state=enabled --no-legend --no-pager | while read -r u rest; do case "$u" in *@.service) ;; *.service) printf \'%s\\n\' "$u";; esac; done)',
  '[ -n "$units" ] || exit 0',
  'states=$("$sc" is-active -- $units)',
  '[ -n "$states" ] || exit 3',
  'printf \'%s\\n\' "$states" | { for u in $units; do IFS= read -r st || st=unknown; printf \'%s\\t%s\\n\' "$u" "$st"; done; }',
].join('\n');

const NO_SYSTEMD = /not been booted with systemd|Failed to connect to bus|System has not been booted/i;

export const servicesCollector: Collector = {
  name: 'services',
  description: '`systemctl list-unit-files`, `is-active`',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'services-unit-files', argv: shArgv(UNIT_FILES_SCRIPT) },
      { id: 'services-active', argv: shArgv(ACTIVE_SCRIPT) },
    ];
  },
  parse(outputs) {
    return parseFacet('services', outputs, () => {
      const files = judgeOutput(outputs, 'services-unit-files', { unsupportedWhen: NO_SYSTEMD });
      if (!isReadable(files)) return facetOf(files);

      const states = new Map<string, string>();
      for (const [index, line] of outputLines(files).entries()) {
        if (line.trim() === '') continue;
        // systemd >= 245 prints UNIT STATE PRESET; older ones UNIT STATE.
        const [unit, state] = line.trim().split(/\s+/);
        if (!unit || !state || !unit.includes('.')) {
          return errorFacet(`services-unit-files: line ${index + 1}: not a unit-file line: ${line.slice(0, 120)}`);
        }
        states.set(unit, state);
      }

      const active = new Map<string, string>();
      const meta: Record<string, string> = {};
      const activeOut = outputs['services-active'];
      const activeCheck = judgeOutput(outputs, 'services-active');
      if (isReadable(activeCheck)) {
        for (const line of outputLines(activeCheck)) {
          const [unit, state] = line.split('\t');
          if (unit && state) active.set(unit, state);
        }
      } else {
        // States alone are still a useful comparison; say why the rest is missing.
        const why = firstLine(activeOut?.stderr ?? '') || activeCheck.message;
        meta.active = `unavailable: ${why}`;
      }

      const items: Record<string, Item> = {};
      for (const [unit, state] of states) {
        const running = active.get(unit);
        items[unit] = { value: running ? `${state} ${running}` : state };
      }
      return okFacet(items, Object.keys(meta).length > 0 ? meta : undefined);
    });
  },
};
