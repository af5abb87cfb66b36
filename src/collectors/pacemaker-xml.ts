/**
 * A small, non-validating XML reader for the CIB.
 *
 * No XML library is installed, and the CIB needs very little: elements, attributes,
 * the five predefined entities and numeric character references. Text content is
 * dropped (the CIB keeps everything in attributes); comments, processing
 * instructions, CDATA and a DOCTYPE are skipped. Anything malformed is a typed
 * error with line and column, never an exception.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** 1-based line of the element's `<`, for error messages. */
  line: number;
}

export type XmlParseResult = { ok: true; root: XmlElement } | { ok: false; error: string; line: number; column: number };

class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Decodes entity and character references; an unknown or broken one is an error. */
export function decodeXmlEntities(raw: string, offset = 0): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, amp);
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > 12) {
      throw new XmlSyntaxError('unterminated entity reference', offset + amp);
    }
    const ref = raw.slice(amp + 1, semi);
    const named = NAMED_ENTITIES[ref];
    if (named !== undefined) {
      out += named;
    } else if (/^#[0-9]{1,7}$/.test(ref) || /^#x[0-9a-fA-F]{1,6}$/.test(ref)) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new XmlSyntaxError(`invalid character reference &${ref};`, offset + amp);
      }
      out += String.fromCodePoint(code);
    } else {
      throw new XmlSyntaxError(`unknown entity &${ref};`, offset + amp);
    }
    i = semi + 1;
  }
  return out;
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new XmlSyntaxError(message, at);
  }

  skipSpace(): void {
    while (isSpace(this.text[this.pos])) this.pos++;
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  /** Moves past the next `terminator`, failing with `what` when there is none. */
  skipPast(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.pos);
    if (end < 0) this.fail(`unterminated ${what}`);
    this.pos = end + terminator.length;
  }

  readName(): string {
    const start = this.pos;
    const first = this.text[this.pos];
    if (first === undefined || !NAME_START.test(first)) this.fail('expected a name');
    this.pos++;
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos] ?? '')) this.pos++;
    return this.text.slice(start, this.pos);
  }

  skipDoctype(): void {
    // An internal subset may hold `>` inside brackets; the CIB never has one, but skip it right.
    let depth = 0;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++];
      if (ch === '[') depth++;
      else if (ch === ']') depth--;
      else if (ch === '>' && depth <= 0) return;
    }
    this.fail('unterminated DOCTYPE');
  }

  /** Skips comments, PIs, DOCTYPE and text until the next tag start. Returns false at end. */
  skipMisc(allowText: boolean): boolean {
    for (;;) {
      if (this.pos >= this.text.length) return false;
      if (this.startsWith('<!--')) {
        this.pos += 4;
        this.skipPast('-->', 'comment');
      } else if (this.startsWith('<?')) {
        this.pos += 2;
        this.skipPast('?>', 'processing instruction');
      } else if (this.startsWith('<![CDATA[')) {
        if (!allowText) this.fail('CDATA outside the root element');
        this.pos += 9;
        this.skipPast(']]>', 'CDATA section');
      } else if (this.startsWith('<!DOCTYPE')) {
        this.pos += 9;
        this.skipDoctype();
      } else if (this.text[this.pos] === '<') {
        return true;
      } else {
        const next = this.text.indexOf('<', this.pos);
        const end = next < 0 ? this.text.length : next;
        const textRun = this.text.slice(this.pos, end);
        if (!allowText && textRun.trim() !== '') this.fail('text outside the root element');
        if (allowText) decodeXmlEntities(textRun, this.pos);
        this.pos = end;
      }
    }
  }

  readAttributes(element: XmlElement): 'open' | 'self-closing' {
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.pos += 2;
        return 'self-closing';
      }
      if (this.text[this.pos] === '>') {
        this.pos++;
        return 'open';
      }
      if (this.pos >= this.text.length) this.fail(`unterminated start tag <${element.name}>`);
      if (this.pos === before) this.fail('expected whitespace before an attribute');
      const nameAt = this.pos;
      const name = this.readName();
      this.skipSpace();
      if (this.text[this.pos] !== '=') this.fail(`attribute ${name} has no value`);
      this.pos++;
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${name} value is not quoted`);
      const valueStart = this.pos + 1;
      const valueEnd = this.text.indexOf(quote, valueStart);
      if (valueEnd < 0) this.fail(`unterminated value of attribute ${name}`);
      const raw = this.text.slice(valueStart, valueEnd);
      if (raw.includes('<')) this.fail(`'<' in value of attribute ${name}`, valueStart + raw.indexOf('<'));
      if (Object.hasOwn(element.attrs, name)) this.fail(`duplicate attribute ${name}`, nameAt);
      element.attrs[name] = decodeXmlEntities(raw, valueStart);
      this.pos = valueEnd + 1;
    }
  }
}

/** Offsets where each line starts, so line lookups stay O(log n) on a large CIB. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAndColumn(starts: number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}

function parseDocument(scanner: Scanner, starts: number[]): XmlElement {
  const text = scanner.text;
  if (!scanner.skipMisc(false)) scanner.fail('no root element');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  // Iterative rather than recursive: a hostile input of deep nesting must not blow the stack.
  for (;;) {
    if (stack.length === 0 && root !== undefined) break;
    if (!scanner.skipMisc(stack.length > 0)) {
      const open = stack[stack.length - 1];
      scanner.fail(open ? `element <${open.name}> opened at line ${open.line} is not closed` : 'no root element');
    }
    if (scanner.startsWith('</')) {
      const closeAt = scanner.pos;
      scanner.pos += 2;
      const name = scanner.readName();
      scanner.skipSpace();
      if (text[scanner.pos] !== '>') scanner.fail(`malformed end tag </${name}>`);
      scanner.pos++;
      const open = stack.pop();
      if (!open) scanner.fail(`unexpected end tag </${name}>`, closeAt);
      if (open.name !== name) {
        scanner.fail(`end tag </${name}> does not match <${open.name}> opened at line ${open.line}`, closeAt);
      }
      continue;
    }
    const tagAt = scanner.pos;
    scanner.pos++;
    const element: XmlElement = {
      name: scanner.readName(),
      attrs: Object.create(null) as Record<string, string>,
      children: [],
      line: lineAndColumn(starts, tagAt).line,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root === undefined) root = element;
    else scanner.fail('more than one root element', tagAt);
    if (scanner.readAttributes(element) === 'open') stack.push(element);
  }
  if (scanner.skipMisc(false)) scanner.fail('content after the root element');
  if (!root) scanner.fail('no root element');
  return root;
}

/** Parses `text` into an element tree; never throws. */
export function parseXml(text: string): XmlParseResult {
  const scanner = new Scanner(text);
  const starts = lineStarts(text);
  try {
    return { ok: true, root: parseDocument(scanner, starts) };
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      const where = lineAndColumn(starts, error.offset);
      return { ok: false, error: error.message, ...where };
    }
    const message = error instanceof Error ? error.message : String(error);
    const where = lineAndColumn(starts, scanner.pos);
    return { ok: false, error: `internal parser failure: ${message}`, ...where };
  }
}

/** The first child named `name`, or undefined. */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}
