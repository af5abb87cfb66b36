/**
 * What a configuration file means, as opposed to how it is written: a canonical form per
 * file type, equal for two texts exactly when the software reading them sees the same
 * settings. Comments, blank lines, indentation, CRLF line ends and the order of keys and
 * sections do not count; values and the nesting do.
 *
 * Used to tell a cosmetic edit (a comment added on one node, tabs for spaces, a section
 * moved) from a real change when only the raw digest of a file differs. Pure and total:
 * any text has a canonical form, or undefined for a file type driftd does not know.
 */

export type ConfigKind = 'corosync' | 'sysctl' | 'drbd' | 'multipath';

/** The parsed view of a file: which facet compares its settings, and how to read it. */
export function configKindOf(path: string): ConfigKind | undefined {
  if (/(^|\/)corosync\.conf$/.test(path)) return 'corosync';
  if (/^(\/etc|\/run|\/usr\/local\/lib|\/usr\/lib|\/lib)\/sysctl\.d\/[^/]+\.conf$/.test(path) || path === '/etc/sysctl.conf')
    return 'sysctl';
  if (/(^|\/)drbd\.conf$/.test(path) || /\/drbd\.d\/[^/]+\.(res|conf|cfg)$/.test(path)) return 'drbd';
  if (path === '/etc/multipath.conf' || /^\/etc\/multipath\/conf\.d\/[^/]+\.conf$/.test(path)) return 'multipath';
  return undefined;
}

/** The canonical form of a file's text, for equality only (not for display). */
export function canonicalConfig(kind: ConfigKind, raw: string): string {
  // Line ends are never meaning: CRLF and LF files read the same everywhere.
  const text = raw.replace(/\r\n/g, '\n');
  switch (kind) {
    case 'corosync':
      return canonicalBraces(corosyncStatements(text));
    case 'drbd':
      return canonicalBraces(drbdStatements(text));
    case 'multipath':
      return canonicalBraces(
        multipathStatements(text).map((s): Statement =>
          'leaf' in s ? { leaf: s.leaf.join(' ') } : 'open' in s ? { open: s.open } : { close: true },
        ),
      );
    case 'sysctl':
      return [...sysctlSettings(text)]
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join('\n');
  }
}

/** Per key, the value a sysctl.d file sets (last assignment wins), keys in `sysctl -a` notation. */
export function sysctlSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let key = line.slice(0, eq).trim();
    if (key.startsWith('-')) key = key.slice(1).trim();
    const slash = key.indexOf('/');
    const dot = key.indexOf('.');
    if (slash >= 0 && (dot < 0 || slash < dot)) key = key.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
    key = key.replace(/\.{2,}/g, '.').replace(/^\./, '');
    if (key === '') continue;
    out.set(
      key,
      line
        .slice(eq + 1)
        .replace(/[ \t]+/g, ' ')
        .trim(),
    );
  }
  return out;
}

type Statement = { open: string } | { close: true } | { leaf: string };

/** corosync.conf: one statement per line, `#` comment lines, `name {`, `}`, `key: value`. */
function corosyncStatements(text: string): Statement[] {
  const out: Statement[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line === '}') out.push({ close: true });
    else if (line.endsWith('{')) out.push({ open: line.slice(0, -1).trim() });
    else {
      const colon = line.indexOf(':');
      out.push({ leaf: colon < 0 ? line : `${line.slice(0, colon).trim()}: ${line.slice(colon + 1).trim()}` });
    }
  }
  return out;
}

/**
 * DRBD: free-form tokens, `;` ends a statement, `{ }` nest, `#` comments to the end of the
 * line; a double-quoted string (with backslash escapes) is one word, kept verbatim.
 */
function drbdStatements(text: string): Statement[] {
  const out: Statement[] = [];
  const words: string[] = [];
  let word = '';
  const endWord = (): void => {
    if (word !== '') words.push(word);
    word = '';
  };
  const take = (): string => {
    const w = words.join(' ');
    words.length = 0;
    return w;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      word += text.slice(i, j + 1);
      i = j;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      endWord();
    } else if (ch === '{' || ch === '}' || ch === ';') {
      endWord();
      const w = take();
      if (ch === '{') out.push({ open: w });
      else {
        if (w !== '') out.push({ leaf: w });
        if (ch === '}') out.push({ close: true });
      }
    } else if (/\s/.test(ch)) endWord();
    else word += ch;
  }
  endWord();
  const rest = take();
  if (rest !== '') out.push({ leaf: rest });
  return out;
}

/** A multipath.conf statement: a section opening, a closing brace, or `keyword value...` words. */
export type MultipathStatement = { open: string; line: number } | { close: true; line: number } | { leaf: string[]; line: number };

/**
 * multipath.conf(5): line-based, `#` and `!` start a comment outside double quotes,
 * `section {` opens and `}` closes, a `{` alone opens the section named on the line
 * before. Double quotes only group words (`"no"` reads as `no`), so they are dropped.
 */
export function multipathStatements(text: string): MultipathStatement[] {
  const out: MultipathStatement[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const words: string[] = [];
    let word = '';
    let quoted = false;
    let inWord = false;
    const raw = lines[n] ?? '';
    for (let i = 0; i < raw.length; i++) {
      const ch = raw[i] ?? '';
      if (quoted) {
        if (ch === '"') quoted = false;
        else word += ch;
      } else if (ch === '"') {
        quoted = true;
        inWord = true;
      } else if (ch === '#' || ch === '!') break;
      else if (/\s/.test(ch)) {
        if (inWord) words.push(word);
        word = '';
        inWord = false;
      } else {
        word += ch;
        inWord = true;
      }
    }
    if (inWord) words.push(word);
    const line = n + 1;
    const braces: MultipathStatement[] = [];
    while (words.length > 0 && words[words.length - 1] === '}') {
      words.pop();
      braces.push({ close: true, line });
    }
    if (words.length === 0) {
      out.push(...braces);
      continue;
    }
    if (words[words.length - 1] === '{') {
      words.pop();
      if (words.length === 0) {
        // `{` alone: the section is named on the line before.
        const previous = out[out.length - 1];
        if (previous && 'leaf' in previous) out[out.length - 1] = { open: previous.leaf.join(' '), line: previous.line };
        else out.push({ open: '', line });
      } else out.push({ open: words.join(' '), line });
    } else out.push({ leaf: words, line });
    out.push(...braces);
  }
  return out;
}

interface Node {
  head: string;
  section: boolean;
  children: Node[];
}

/**
 * Sections become `head{sorted children}`: the order of keys and of sections does not
 * count, nesting does. An unbalanced text falls back to its statements in order, so a
 * broken file never compares equal to a good one by accident.
 */
function canonicalBraces(statements: readonly Statement[]): string {
  const root: Node = { head: '', section: true, children: [] };
  const stack: Node[] = [root];
  for (const s of statements) {
    const top = stack[stack.length - 1] ?? root;
    if ('open' in s) {
      const node: Node = { head: s.open, section: true, children: [] };
      top.children.push(node);
      stack.push(node);
    } else if ('close' in s) {
      if (stack.length === 1) return `unbalanced:${statements.map((x) => JSON.stringify(x)).join('\n')}`;
      stack.pop();
    } else top.children.push({ head: s.leaf, section: false, children: [] });
  }
  if (stack.length !== 1) return `unbalanced:${statements.map((x) => JSON.stringify(x)).join('\n')}`;
  return render(root);
}

function render(node: Node): string {
  if (!node.section) return JSON.stringify(node.head);
  const inner = node.children.map(render).sort().join(',');
  return `${JSON.stringify(node.head)}{${inner}}`;
}
