import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXmlEntities, parseXml, type XmlElement } from '../../src/collectors/pacemaker-xml.js';

function root(text: string): XmlElement {
  const result = parseXml(text);
  if (!result.ok) throw new Error(`unexpected parse failure: ${result.error} at ${result.line}:${result.column}`);
  return result.root;
}

describe('parseXml: well-formed input', () => {
  it('reads elements, attributes in both quote styles, self-closing tags and line numbers', () => {
    const doc = root('<cib a="1" b=\'two\'>\n  <configuration>\n    <nodes/>\n  </configuration>\n</cib>\n');
    expect(doc.name).toBe('cib');
    expect({ ...doc.attrs }).toEqual({ a: '1', b: 'two' });
    expect(doc.children.map((c) => c.name)).toEqual(['configuration']);
    const nodes = doc.children[0]?.children[0];
    expect(nodes?.name).toBe('nodes');
    expect(nodes?.line).toBe(3);
  });

  it('skips the XML declaration, comments, processing instructions, a DOCTYPE, CDATA and text', () => {
    const doc = root(
      '<?xml version="1.0" ?>\n<!DOCTYPE cib [ <!ENTITY x "y"> ]>\n<!-- before -->\n<cib>text<![CDATA[<not-an-element/>]]><?pi data?><!-- in --><a/></cib>\n<!-- after -->\n',
    );
    expect(doc.children.map((c) => c.name)).toEqual(['a']);
  });

  it('accepts attributes spread over several lines (as in ClusterLabs test CIBs)', () => {
    const doc = root('<x id="c"\n   rsc="a"\n   with-rsc="b"/>');
    expect({ ...doc.attrs }).toEqual({ id: 'c', rsc: 'a', 'with-rsc': 'b' });
  });

  it.each([
    ['&lt;', '<'],
    ['&gt;', '>'],
    ['&amp;', '&'],
    ['&quot;', '"'],
    ['&apos;', "'"],
    ['&#65;', 'A'],
    ['&#x41;', 'A'],
    ['&#x1F600;', '\u{1F600}'],
    ['a &amp;&amp; b', 'a && b'],
    ['&amp;lt;', '&lt;'],
  ])('decodes %s in attribute values', (raw, decoded) => {
    expect(root(`<a v="${raw}"/>`).attrs.v).toBe(decoded);
    expect(decodeXmlEntities(raw)).toBe(decoded);
  });

  it('treats an attribute named __proto__ as plain data', () => {
    const doc = root('<a __proto__="x" constructor="y"/>');
    expect(doc.attrs.__proto__).toBe('x');
    expect(Object.keys(doc.attrs)).toEqual(['__proto__', 'constructor']);
  });

  it('handles deep nesting without recursion limits', () => {
    const depth = 20_000;
    const doc = parseXml(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`);
    expect(doc.ok).toBe(true);
  });
});

describe('parseXml: malformed input is a typed error with line and column', () => {
  it.each([
    ['', 'no root element', 1, 1],
    ['   \n  ', 'no root element', 2, 3],
    ['<a>', 'element <a> opened at line 1 is not closed', 1, 4],
    ['<a>\n</b>', 'end tag </b> does not match <a> opened at line 1', 2, 1],
    ['</a>', 'unexpected end tag </a>', 1, 1],
    ['<a/><b/>', 'content after the root element', 1, 5],
    ['<a/>\n<!-- fine -->\n<b/>', 'content after the root element', 3, 1],
    ['<a/>trailing', 'text outside the root element', 1, 5],
    ['text<a/>', 'text outside the root element', 1, 1],
    ['<a x="1" x="2"/>', 'duplicate attribute x', 1, 10],
    ['<a x=1/>', 'attribute x value is not quoted', 1, 6],
    ['<a x/>', 'attribute x has no value', 1, 5],
    ['<a x="1/>', 'unterminated value of attribute x', 1, 6],
    ['<a x="<"/>', "'<' in value of attribute x", 1, 7],
    ['<a x="&bogus;"/>', 'unknown entity &bogus;', 1, 7],
    ['<a x="&amp"/>', 'unterminated entity reference', 1, 7],
    ['<a x="&#0;"/>', 'invalid character reference &#0;', 1, 7],
    ['<a x="&#xD800;"/>', 'invalid character reference &#xD800;', 1, 7],
    ['<a>&nope;</a>', 'unknown entity &nope;', 1, 4],
    ['<a><!-- open</a>', 'unterminated comment', 1, 8],
    ['<a><![CDATA[x</a>', 'unterminated CDATA section', 1, 13],
    ['<1a/>', 'expected a name', 1, 2],
    ['<a b="1"c="2"/>', 'expected whitespace before an attribute', 1, 9],
    ['<a></a x>', 'malformed end tag </a>', 1, 8],
  ])('%j -> %s', (text, error, line, column) => {
    expect(parseXml(text)).toEqual({ ok: false, error, line, column });
  });
});

/** Random element trees, serialised with escaping, must read back to the same tree. */
const nameArb = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/);
// eslint-disable-next-line no-control-regex -- NUL is exactly what the generator must leave out
const valueArb = fc.string({ maxLength: 12, unit: 'grapheme' }).filter((s) => !/[\uD800-\uDFFF\u0000]/.test(s));
interface Tree {
  name: string;
  attrs: [string, string][];
  children: Tree[];
}
function treeAt(depth: number): fc.Arbitrary<Tree> {
  return fc.record({
    name: nameArb,
    attrs: fc.uniqueArray(fc.tuple(nameArb, valueArb), { maxLength: 4, selector: ([n]) => n }),
    children: depth === 0 ? fc.constant([]) : fc.array(treeAt(depth - 1), { maxLength: 3 }),
  });
}
const treeArb = treeAt(3);

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function serialise(tree: Tree): string {
  const attrs = tree.attrs.map(([n, v]) => ` ${n}="${escape(v)}"`).join('');
  if (tree.children.length === 0) return `<${tree.name}${attrs}/>`;
  return `<${tree.name}${attrs}>\n${tree.children.map(serialise).join('\n')}\n</${tree.name}>`;
}

function strip(element: XmlElement): Tree {
  return { name: element.name, attrs: Object.entries(element.attrs), children: element.children.map(strip) };
}

describe('parseXml: properties', () => {
  it('reads back what a serialiser wrote (round trip)', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const parsed = parseXml(serialise(tree));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(strip(parsed.root)).toEqual(tree);
      }),
      { numRuns: 300 },
    );
  });

  const xmlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<',
          '>',
          '</',
          '/>',
          '<!--',
          '-->',
          '<?',
          '?>',
          '<![CDATA[',
          ']]>',
          '<!DOCTYPE',
          '"',
          "'",
          '=',
          '&',
          ';',
          '&#',
          '&#x',
          '&amp;',
          '\n',
          ' ',
          'cib',
          'a',
          'id',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join(''));

  it('never throws on arbitrary or XML-ish text, and every failure carries a position', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), xmlish), (text) => {
        const result = parseXml(text);
        if (!result.ok) {
          expect(result.error.length).toBeGreaterThan(0);
          expect(result.line).toBeGreaterThanOrEqual(1);
          expect(result.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
