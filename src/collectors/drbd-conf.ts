/**
 * DRBD configuration (as printed by `drbdadm dump all`, or the raw files) flattened into
 * comparable keys.
 *
 * Grammar (drbd.conf(5)): `keyword arg... ;` statements and `keyword arg... { ... }`
 * blocks; `#` comments to end of line; double-quoted strings with backslash escapes.
 */
import { isSecretName, redactSecret } from './secrets.js';

type Token = { kind: 'word'; text: string; line: number } | { kind: '{' | '}' | ';'; line: number };

export interface DrbdStatement {
  keyword: string;
  args: string[];
  line: number;
  /** Present for blocks. */
  body?: DrbdStatement[];
}

export type DrbdParseResult = { ok: true; statements: DrbdStatement[] } | { ok: false; error: string; line: number };

class DrbdSyntaxError extends Error {
  override readonly name = 'DrbdSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\n') {
      line++;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '{' || ch === '}' || ch === ';') {
      tokens.push({ kind: ch, line });
      i++;
    } else if (ch === '"') {
      const startLine = line;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new DrbdSyntaxError('unterminated string', startLine);
        const c = text[i] ?? '';
        if (c === '"') break;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (c === '\n') line++;
        value += c;
        i++;
      }
      i++;
      tokens.push({ kind: 'word', text: value, line: startLine });
    } else {
      const start = i;
      while (i < text.length && !/[\s{};"#]/.test(text[i] ?? '')) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), line });
    }
  }
  return tokens;
}

function excerpt(words: string[]): string {
  const text = words.join(' ');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function buildTree(tokens: Token[]): DrbdStatement[] {
  const root: DrbdStatement[] = [];
  // Iterative: deep nesting in hostile input must not exhaust the call stack.
  const stack: { body: DrbdStatement[]; opener?: DrbdStatement }[] = [{ body: root }];
  let words: Token[] = [];
  for (const token of tokens) {
    const frame = stack[stack.length - 1] ?? { body: root };
    if (token.kind === 'word') {
      words.push(token);
      continue;
    }
    const first = words[0];
    const texts = words.map((w) => (w.kind === 'word' ? w.text : ''));
    if (token.kind === ';') {
      if (first) frame.body.push({ keyword: texts[0] ?? '', args: texts.slice(1), line: first.line });
    } else if (token.kind === '{') {
      if (!first) throw new DrbdSyntaxError('"{" without a section name', token.line);
      const block: DrbdStatement = { keyword: texts[0] ?? '', args: texts.slice(1), line: first.line, body: [] };
      frame.body.push(block);
      stack.push({ body: block.body ?? [], opener: block });
    } else {
      if (first) throw new DrbdSyntaxError(`missing ";" after "${excerpt(texts)}"`, first.line);
      if (stack.length === 1) throw new DrbdSyntaxError('"}" without an open section', token.line);
      stack.pop();
    }
    words = [];
  }
  const trailing = words[0];
  if (trailing)
    throw new DrbdSyntaxError(`missing ";" after "${excerpt(words.map((w) => (w.kind === 'word' ? w.text : '')))}"`, trailing.line);
  const open = stack[stack.length - 1]?.opener;
  if (open) throw new DrbdSyntaxError(`section "${[open.keyword, ...open.args].join(' ')}" is never closed`, open.line);
  return root;
}

/** Parses DRBD configuration text into statements; never throws. */
export function parseDrbdConf(text: string): DrbdParseResult {
  try {
    return { ok: true, statements: buildTree(tokenize(text)) };
  } catch (error) {
    if (error instanceof DrbdSyntaxError) return { ok: false, error: error.message, line: error.line };
    return { ok: false, error: `internal parser failure: ${error instanceof Error ? error.message : String(error)}`, line: 0 };
  }
}

function requote(word: string): string {
  return word !== '' && /^[^\s"{};#\\]+$/.test(word) ? word : JSON.stringify(word);
}

/** Statements keyed by their first argument even when they occur once (`host alpha address ...`). */
const KEYED_BY_FIRST_ARG = new Set(['host']);

function blockIdentity(block: DrbdStatement): string | undefined {
  const hosts = (block.body ?? []).filter((s) => s.keyword === 'host' && s.args[0] !== undefined).map((s) => s.args[0] ?? '');
  return hosts.length > 0 ? `[${[...hosts].sort().join(',')}]` : undefined;
}

function blockSegment(block: DrbdStatement): string {
  // `host alpha address ... via proxy on alpha { ... }`: the host names the block, the rest is a value.
  if (KEYED_BY_FIRST_ARG.has(block.keyword) && block.args[0] !== undefined) return `${block.keyword}.${block.args[0]}`;
  if (block.args.length > 0) return [block.keyword, ...block.args].join('.');
  return block.keyword + (blockIdentity(block) ?? '');
}

/** Last `#n` handed out per key, so thousands of repeated statements stay linear. */
type Duplicates = Map<string, number>;

function flattenBody(body: DrbdStatement[], prefix: string, out: Map<string, string>, duplicates: Duplicates, depth: number): void {
  const counts = new Map<string, number>();
  for (const s of body) {
    if (!s.body) counts.set(`stmt:${s.keyword}`, (counts.get(`stmt:${s.keyword}`) ?? 0) + 1);
  }
  const segments = body.map((s) => (s.body ? blockSegment(s) : ''));
  const segmentCounts = new Map<string, number>();
  for (const segment of segments) segmentCounts.set(segment, (segmentCounts.get(segment) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const [index, statement] of body.entries()) {
    if (statement.body) {
      let segment = segments[index] ?? statement.keyword;
      // Two paths between the same hosts: position is the only identity left.
      if ((segmentCounts.get(segment) ?? 0) > 1) {
        const occurrence = seen.get(segment) ?? 0;
        seen.set(segment, occurrence + 1);
        segment += `[#${occurrence}]`;
      }
      if (KEYED_BY_FIRST_ARG.has(statement.keyword) && statement.args.length > 1) {
        out.set(`${prefix}${segment}`, statement.args.slice(1).map(requote).join(' '));
      }
      if (depth < 16) flattenBody(statement.body, `${prefix}${segment}.`, out, duplicates, depth + 1);
      continue;
    }
    const repeated = (counts.get(`stmt:${statement.keyword}`) ?? 0) > 1;
    let key = statement.keyword;
    let args = statement.args;
    const [firstArg, ...rest] = args;
    if (firstArg !== undefined && (KEYED_BY_FIRST_ARG.has(key) || repeated)) {
      key = `${key}.${firstArg}`;
      args = rest;
    }
    const value = args.length === 0 ? 'yes' : args.map(requote).join(' ');
    const base = `${prefix}${key}`;
    let unique = base;
    for (let n = duplicates.get(base) ?? 1; out.has(unique);) {
      n++;
      unique = `${base}#${n}`;
      duplicates.set(base, n);
    }
    out.set(unique, isSecretName(statement.keyword) ? redactSecret(value) : value);
  }
}

/**
 * Flattens the top level: `global.<opt>`, `common.<section>.<opt>`,
 * `resource.<name>.<path>` and `resource.<name>.hosts` (the sorted `on` hosts).
 * `include` and `skip` are not configuration: include is resolved by drbdadm (or the
 * fallback reads every file), skip comments a block out.
 */
export function flattenDrbd(statements: DrbdStatement[]): Map<string, string> {
  const out = new Map<string, string>();
  const duplicates: Duplicates = new Map();
  for (const statement of statements) {
    if (!statement.body) continue;
    if (statement.keyword === 'skip') continue;
    if (statement.keyword === 'resource') {
      const name = statement.args[0] ?? '?';
      const prefix = `resource.${name}.`;
      const hosts = statement.body.filter((s) => s.body && s.keyword === 'on').flatMap((s) => s.args);
      out.set(`${prefix}hosts`, [...hosts].sort().join(','));
      flattenBody(statement.body, prefix, out, duplicates, 0);
    } else {
      flattenBody(statement.body, `${[statement.keyword, ...statement.args].join('.')}.`, out, duplicates, 0);
    }
  }
  return out;
}
