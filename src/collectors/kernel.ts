/**
 * kernel: the running kernel (release, build, command line), the kernels installed in
 * /boot, and whether the node would boot into a different one than it runs now.
 */
import type { Item } from '../core/snapshot.js';
import { verrevcmp } from '../core/versions/deb.js';
import type { Collector } from './collector.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { okFacet, shArgv } from './util.js';

export const KERNEL_COMMAND_IDS = ['kernel-release', 'kernel-build', 'kernel-cmdline', 'kernel-installed'] as const;

/**
 * One release per line from /boot/vmlinuz-<release>. An empty /boot (a container, a
 * node booting over the network) prints nothing and still succeeds.
 */
const INSTALLED_SCRIPT = 'for f in /boot/vmlinuz-*; do [ -e "$f" ] && printf \'%s\\n\' "${f#/boot/vmlinuz-}"; done; exit 0';

/**
 * RHEL's rescue image (`vmlinuz-0-rescue-<machine-id>`) is a copy named after the
 * machine id: not a kernel release, and unique per node.
 */
const RESCUE_IMAGE = /^0-rescue-/;

/** Command-line parameters whose value names this node's own disks or boot file. */
function nodeSpecificReason(param: string, value: string): string | undefined {
  if (param === 'BOOT_IMAGE') return 'the boot loader path of the kernel image differs per install';
  if (/^(PART)?UUID=/i.test(value) || /uuid/i.test(param)) return 'filesystem and partition UUIDs are unique per node';
  return undefined;
}

/** Splits /proc/cmdline like the kernel does: blanks separate, double quotes group. */
export function splitCmdline(text: string): string[] {
  const params: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (started) params.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) params.push(current);
  return params;
}

/** Value shown for a bare flag such as `quiet`, which has no `=value`. */
export const FLAG_VALUE = '(flag)';

export const kernelCollector: Collector = {
  name: 'kernel',
  description: '`uname -r`/`-v`, /proc/cmdline, /boot/vmlinuz-*',
  defaultEnabled: true,
  commands() {
    return [
      { id: 'kernel-release', argv: ['/bin/uname', '-r'] },
      { id: 'kernel-build', argv: ['/bin/uname', '-v'] },
      { id: 'kernel-cmdline', argv: ['/bin/cat', '/proc/cmdline'] },
      { id: 'kernel-installed', argv: shArgv(INSTALLED_SCRIPT) },
    ];
  },
  parse(outputs) {
    return parseFacet('kernel', outputs, () => {
      const items: Record<string, Item> = {};
      const release = judgeOutput(outputs, 'kernel-release');
      if (!isReadable(release)) return facetOf(release);
      const running = outputLines(release)[0]?.trim() ?? '';
      if (running) items.release = { value: running };

      const build = judgeOutput(outputs, 'kernel-build');
      if (!isReadable(build)) return facetOf(build);
      const buildLine = outputLines(build)[0]?.trim();
      if (buildLine) items.build = { value: buildLine };

      const cmdline = judgeOutput(outputs, 'kernel-cmdline');
      if (!isReadable(cmdline)) return facetOf(cmdline);
      const values = new Map<string, string[]>();
      const all = splitCmdline(cmdline.stdout);
      // Everything after `--` is handed to init as its argv, not kernel parameters.
      const initAt = all.indexOf('--');
      const kernelParams = initAt === -1 ? all : all.slice(0, initAt);
      if (initAt !== -1 && initAt < all.length - 1) items['cmdline.--'] = { value: all.slice(initAt + 1).join(' ') };
      for (const param of kernelParams) {
        const eq = param.indexOf('=');
        const name = eq === -1 ? param : param.slice(0, eq);
        const value = eq === -1 ? FLAG_VALUE : param.slice(eq + 1);
        if (!name) continue;
        // Repeated parameters (console=tty0 console=ttyS0) all count, in order. Appended in
        // place: copying the list per repeat was quadratic on a hostile command line.
        const list = values.get(name);
        if (list) list.push(value);
        else values.set(name, [value]);
      }
      for (const [name, list] of values) {
        const value = list.join(' ');
        const reason = nodeSpecificReason(name, value);
        items[`cmdline.${name}`] = reason ? { value, nodeSpecific: reason } : { value };
      }

      const installed = judgeOutput(outputs, 'kernel-installed');
      if (!isReadable(installed)) return facetOf(installed);
      const releases = outputLines(installed)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !RESCUE_IMAGE.test(l));
      for (const r of releases) items[`installed.${r}`] = { value: 'installed' };
      if (releases.length > 0 && running) {
        const newest = releases.reduce((a, b) => (verrevcmp(a, b) >= 0 ? a : b));
        items.reboot_required = { value: String(newest !== running) };
        if (newest !== running) items.newest_installed = { value: newest };
      }
      return okFacet(items);
    });
  },
};
