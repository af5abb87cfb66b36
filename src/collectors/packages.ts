/**
 * packages: every installed package and its full version, from dpkg or rpm, whichever
 * the node has. One command picks the tool on the node, so the recorded output is the
 * tool's own and its format tells the parser which database it came from.
 */
import type { Item } from '../core/snapshot.js';
import type { Collector } from './collector.js';
import { UNFINISHED_META_PREFIX } from '../core/package-states.js';
import { facetOf, isReadable, judgeOutput, outputLines, parseFacet } from './output.js';
import { errorFacet, okFacet, shArgv } from './util.js';

export const PACKAGES_COMMAND_ID = 'packages-query';

export const DPKG_FORMAT = '${db:Status-Abbrev}\\t${binary:Package}\\t${Version}\\t${Architecture}\\n';
/** `%|EPOCH?{...}:{0}|` rather than %{EPOCHNUM}: it works on the oldest rpm we meet. */
export const RPM_FORMAT = '%{NAME}\\t%|EPOCH?{%{EPOCH}}:{0}|\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n';

const QUERY_SCRIPT = [
  `if [ -x /usr/bin/dpkg-query ]; then exec /usr/bin/dpkg-query -W -f '${DPKG_FORMAT}'; fi`,
  `for r in /usr/bin/rpm /bin/rpm; do [ -x "$r" ] && exec "$r" -qa --qf '${RPM_FORMAT}'; done`,
  "echo 'packages: neither /usr/bin/dpkg-query nor rpm found' >&2",
  'exit 127',
].join('\n');

interface Pkg {
  name: string;
  arch: string;
  version: string;
  /** dpkg's state when the package is on disk but not configured (see DPKG_UNFINISHED). */
  unfinished?: string;
}

/**
 * dpkg's `db:Status-Abbrev`, as dpkg's own pkg_abbrev_want/status/eflag write it
 * (lib/dpkg/pkg-show.c): want `uihrp`, status `ncHUFWti`, error flag ` R`.
 * - status `i` is installed, whatever is wanted: `hi` (held), `ri`/`pi` (removal asked,
 *   not done yet) are installed packages, the hold is only a wish about upgrades;
 * - `n` (not installed) and `c` (only configuration files left) are not installed;
 * - the others are a package on disk whose maintainer scripts have not finished: an
 *   interrupted install or upgrade (`dpkg --configure -a` finishes it).
 * An `R` error flag (reinstallation required) is unfinished too, whatever the status.
 */
export const DPKG_UNFINISHED: Readonly<Record<string, string>> = {
  U: 'unpacked',
  F: 'half-configured',
  H: 'half-installed',
  W: 'triggers-awaited',
  t: 'triggers-pending',
};

/**
 * dpkg's `${binary:Package}` carries `:arch` on every Multi-Arch: same package, even
 * when only one arch is installed; the qualifier is dropped here and put back by
 * keyPackages only where several arches are installed, so keys stay the bare name.
 */
function parseDpkgLine(line: string): Pkg | 'skip' | undefined {
  const fields = line.split('\t');
  if (fields.length !== 4) return undefined;
  const [status, qualified, version, arch] = fields as [string, string, string, string];
  const colon = qualified.indexOf(':');
  const name = colon === -1 ? qualified : qualified.slice(0, colon);
  const want = status[0] ?? '';
  const state = status[1] ?? '';
  const reinstRequired = status[2] === 'R';
  if (!'uihrp'.includes(want) || want === '' || !'ncHUFWti'.includes(state) || state === '') return undefined;
  if (state === 'n' || state === 'c') return 'skip';
  if (!name || !version) return undefined;
  const unfinished = DPKG_UNFINISHED[state] ?? (reinstRequired ? 'reinstallation required' : undefined);
  return unfinished === undefined ? { name, version, arch } : { name, version, arch, unfinished };
}

function parseRpmTabLine(line: string): Pkg | undefined {
  const fields = line.split('\t');
  if (fields.length !== 5) return undefined;
  const [name, epoch, version, release, arch] = fields as [string, string, string, string, string];
  if (!name || !version) return undefined;
  const epochPart = epoch === '' || epoch === '0' || epoch === '(none)' ? '' : `${epoch}:`;
  const releasePart = release === '' || release === '(none)' ? '' : `-${release}`;
  return { name, version: `${epochPart}${version}${releasePart}`, arch };
}

const RPM_ARCHES = new Set([
  'x86_64',
  'noarch',
  'i386',
  'i486',
  'i586',
  'i686',
  'aarch64',
  'ppc64le',
  'ppc64',
  's390x',
  'armv7hl',
  'armv7l',
  'riscv64',
  'src',
]);

/**
 * Plain `rpm -qa` lines (`name-[epoch:]version-release.arch`), as found in sosreports
 * and public captures. Accepted so such recordings replay; the name is everything
 * before the last two dashes.
 */
function parseRpmNevraLine(line: string): Pkg | undefined {
  let rest = line.trim();
  if (!rest || /\s/.test(rest)) return undefined;
  let arch = '';
  const dot = rest.lastIndexOf('.');
  if (dot > 0 && RPM_ARCHES.has(rest.slice(dot + 1))) {
    arch = rest.slice(dot + 1);
    rest = rest.slice(0, dot);
  }
  const relDash = rest.lastIndexOf('-');
  if (relDash <= 0) return undefined;
  const verDash = rest.lastIndexOf('-', relDash - 1);
  if (verDash <= 0) return undefined;
  const name = rest.slice(0, verDash);
  let version = rest.slice(verDash + 1, relDash);
  const release = rest.slice(relDash + 1);
  if (!version || !release) return undefined;
  if (/^0:/.test(version)) version = version.slice(2);
  return { name, version: `${version}-${release}`, arch };
}

type Format = 'deb' | 'rpm' | 'rpm-nevra';

function detectFormat(lines: readonly string[]): Format | undefined {
  const sample = lines.find((l) => l.trim() !== '');
  if (sample === undefined) return undefined;
  const fields = sample.split('\t').length;
  if (fields === 4) return 'deb';
  if (fields === 5) return 'rpm';
  if (fields === 1) return 'rpm-nevra';
  return undefined;
}

/**
 * Names packages so that one installed for several architectures stays several items
 * (rpm: `name.arch`), while the usual single-arch package keeps its bare name.
 * Linear in the number of lines: versions are gathered per key first and each key's
 * list is sorted once (a list of 20k duplicate lines used to be re-sorted per line).
 */
function keyPackages(pkgs: readonly Pkg[], format: Format): { items: Record<string, Item>; unfinished: Record<string, string> } {
  const arches = new Map<string, Set<string>>();
  for (const p of pkgs) {
    let set = arches.get(p.name);
    if (!set) arches.set(p.name, (set = new Set()));
    set.add(p.arch);
  }
  const versions = new Map<string, string[]>();
  const unfinished: Record<string, string> = {};
  for (const p of pkgs) {
    const multi = (arches.get(p.name)?.size ?? 0) > 1 && p.arch !== '';
    const key = multi ? `${p.name}${format === 'deb' ? ':' : '.'}${p.arch}` : p.name;
    const list = versions.get(key);
    // rpm allows several versions of one name at once (kernel, gpg-pubkey): keep all.
    if (list) list.push(p.version);
    else versions.set(key, [p.version]);
    if (p.unfinished !== undefined) unfinished[`${UNFINISHED_META_PREFIX}${key}`] = p.unfinished;
  }
  const items: Record<string, Item> = {};
  for (const [key, list] of versions) items[key] = { value: list.length === 1 ? (list[0] ?? '') : list.sort().join(' ') };
  return { items, unfinished };
}

export const packagesCollector: Collector = {
  name: 'packages',
  description: '`dpkg-query -W` or `rpm -qa`',
  defaultEnabled: true,
  commands() {
    return [{ id: PACKAGES_COMMAND_ID, argv: shArgv(QUERY_SCRIPT), maxBytes: 16 * 1024 * 1024 }];
  },
  parse(outputs) {
    return parseFacet('packages', outputs, () => {
      const query = judgeOutput(outputs, PACKAGES_COMMAND_ID);
      if (!isReadable(query)) return facetOf(query);
      const lines = outputLines(query);
      const format = detectFormat(lines);
      if (format === undefined) {
        if (lines.every((l) => l.trim() === '')) return errorFacet(`${PACKAGES_COMMAND_ID}: empty package list`);
        return errorFacet(`${PACKAGES_COMMAND_ID}: line 1: unrecognised package list format`);
      }
      const pkgs: Pkg[] = [];
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        const parsed = format === 'deb' ? parseDpkgLine(line) : format === 'rpm' ? parseRpmTabLine(line) : parseRpmNevraLine(line);
        if (parsed === 'skip') continue;
        if (parsed === undefined) {
          return errorFacet(`${PACKAGES_COMMAND_ID}: line ${index + 1}: not a ${format} package line: ${line.slice(0, 120)}`);
        }
        pkgs.push(parsed);
      }
      const { items, unfinished } = keyPackages(pkgs, format);
      return okFacet(items, { format: format === 'deb' ? 'deb' : 'rpm', ...unfinished });
    });
  },
};
