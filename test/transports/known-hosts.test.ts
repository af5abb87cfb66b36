import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findHostEntries,
  fingerprintSha256,
  hashHostName,
  hostLookupName,
  indexKnownHosts,
  keyTypeOfBlob,
  knownKeyTypes,
  parseKnownHosts,
  relevantEntries,
  verifyHostKey,
} from '../../src/transports/known-hosts.js';

const haveKeygen = spawnSync('/usr/bin/ssh-keygen', ['-?']).error === undefined;
if (!haveKeygen)
  console.warn('SKIPPING known_hosts tests against OpenSSH: /usr/bin/ssh-keygen is missing (apt-get install openssh-client)');
const realIt = haveKeygen ? it : it.skip;
const suffix = haveKeygen ? '' : ' [SKIPPED: ssh-keygen missing]';

interface Key {
  type: string;
  base64: string;
  blob: Buffer;
  pubFile: string;
}

let dir = '';
const keys: Record<'ed25519' | 'ecdsa' | 'rsa' | 'other', Key> = {} as Record<'ed25519' | 'ecdsa' | 'rsa' | 'other', Key>;

function makeKey(name: keyof typeof keys, type: string): void {
  const file = join(dir, name);
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `test-${name}`, '-f', file]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ') as [string, string];
  keys[name] = { type: keyType, base64, blob: Buffer.from(base64, 'base64'), pubFile: `${file}.pub` };
}

const line = (hosts: string, key: Key, marker = ''): string => `${marker ? `${marker} ` : ''}${hosts} ${key.type} ${key.base64}`;

/** Line numbers `ssh-keygen -F NAME -f FILE` reports, from its `# Host X found: line N` headers. */
function keygenFind(file: string, name: string): number[] {
  const out = spawnSync('/usr/bin/ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }).stdout;
  return [...out.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

function ourFind(file: string, host: string, port: number): number[] {
  const { entries } = parseKnownHosts(readFileSync(file, 'utf8'));
  return findHostEntries(entries, host, port).map((e) => e.line);
}

beforeAll(() => {
  if (!haveKeygen) return;
  dir = mkdtempSync(join(tmpdir(), 'driftd-kh-'));
  makeKey('ed25519', 'ed25519');
  makeKey('ecdsa', 'ecdsa');
  makeKey('rsa', 'rsa');
  makeKey('other', 'ed25519');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fingerprintSha256', () => {
  realIt.each(['ed25519', 'ecdsa', 'rsa'] as const)(`equals ssh-keygen -lf for %s${suffix}`, (name) => {
    const printed = execFileSync('/usr/bin/ssh-keygen', ['-lf', keys[name].pubFile], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprintSha256(keys[name].blob)).toBe(printed);
    expect(keyTypeOfBlob(keys[name].blob)).toBe(keys[name].type);
  });
});

describe('host matching agrees with ssh-keygen -F', () => {
  const queries: [string, number][] = [
    ['db1.example.com', 22],
    ['DB1.Example.COM', 22],
    ['db2.example.com', 22],
    ['db2.example.com', 2222],
    ['web.lab', 22],
    ['bad.lab', 22],
    ['x.lab', 22],
    ['lab', 22],
    ['127.0.0.1', 22],
    ['127.0.0.1', 2222],
    ['127.0.0.2', 2222],
    ['127.0.0.3', 22],
    ['127.0.0.12', 22],
    ['10.1.2.3', 22],
    ['10.1.2.34', 22],
    ['node-a', 22],
    ['node-b', 22],
    ['node-ab', 22],
    ['host.ca', 22],
    ['::1', 22],
    ['::1', 2200],
    ['unknown', 22],
  ];
  let plainFile = '';
  let hashedFile = '';

  beforeAll(() => {
    if (!haveKeygen) return;
    const { ed25519, ecdsa, rsa, other } = keys;
    plainFile = join(dir, 'known_hosts');
    writeFileSync(
      plainFile,
      [
        '# comment line',
        '',
        line('db1.example.com,db2.example.com', ed25519),
        line('[db2.example.com]:2222', ecdsa),
        line('*.lab,!bad.lab', rsa),
        line('127.0.0.1', ed25519),
        line('[127.0.0.1]:2222,[127.0.0.2]:2222', ecdsa),
        line('127.0.0.?', rsa),
        line('10.1.2.*', other),
        line('node-?', ed25519),
        line('*.ca', ecdsa, '@cert-authority'),
        line('unknown-but-revoked', rsa, '@revoked'),
        line('::1,[::1]:2200', ed25519),
        '   # indented comment',
      ].join('\n') + '\n',
    );
    hashedFile = join(dir, 'known_hosts.hashed');
    copyFileSync(plainFile, hashedFile);
    execFileSync('/usr/bin/ssh-keygen', ['-H', '-f', hashedFile], { stdio: 'ignore' });
  });

  realIt(`the hashed copy really is hashed${suffix}`, () => {
    const { entries } = parseKnownHosts(readFileSync(hashedFile, 'utf8'));
    expect(entries.filter((e) => e.hosts.kind === 'hashed').length).toBeGreaterThanOrEqual(5);
  });

  realIt.each(queries)(`plain and hashed files: %s port %d${suffix}`, (host, port) => {
    const name = hostLookupName(host, port);
    expect(ourFind(plainFile, host, port)).toEqual(keygenFind(plainFile, name));
    expect(ourFind(hashedFile, host, port)).toEqual(keygenFind(hashedFile, name));
  });

  realIt(`wildcard and negation patterns agree on random hosts (property)${suffix}`, () => {
    const { ed25519 } = keys;
    const pattern = fc.stringMatching(/^!?[ab.*?]{1,5}$/);
    const host = fc.stringMatching(/^[ab.]{1,5}$/);
    const file = join(dir, 'kh-prop');
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), host, (patterns, name) => {
        writeFileSync(file, line(patterns.join(','), ed25519) + '\n');
        expect(ourFind(file, name, 22)).toEqual(keygenFind(file, name));
      }),
      { numRuns: 120 },
    );
  });
});

describe('the known_hosts index', () => {
  realIt(`gives every host the same verdicts and key types as the whole file (property)${suffix}`, () => {
    // The transport asks only the lines relevantEntries picks (a fleet's file has a line
    // per node); plain names, wildcards, negations, hashed lines, ports, @revoked and
    // @cert-authority lines, in any order and case.
    const names = ['a', 'b', 'A', 'ab', 'b.a'];
    const pattern = fc.oneof(fc.constantFrom(...names), fc.stringMatching(/^!?[ab.*?]{1,4}$/));
    const hostField = fc.oneof(
      { weight: 4, arbitrary: fc.array(pattern, { minLength: 1, maxLength: 3 }).map((p) => p.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => `[${n}]:2222`) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom(22, 2222)).map(([n, port]) => {
          const salt = Buffer.alloc(20, n.length + port);
          return `|1|${salt.toString('base64')}|${hashHostName(hostLookupName(n, port), salt).toString('base64')}`;
        }),
      },
    );
    const keyName = fc.constantFrom<keyof typeof keys>('ed25519', 'ecdsa', 'rsa', 'other');
    const entry = fc.tuple(fc.constantFrom('', '', '', '@revoked', '@cert-authority'), hostField, keyName);
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 8 }),
        fc.constantFrom(...names),
        fc.constantFrom(22, 2222),
        keyName,
        (lines, host, port, offered) => {
          const { entries } = parseKnownHosts(lines.map(([marker, hosts, key]) => line(hosts, keys[key], marker)).join('\n'));
          const relevant = relevantEntries(indexKnownHosts(entries), host, port);
          const key = keys[offered];
          expect(verifyHostKey(relevant, host, port, key.type, key.blob)).toEqual(verifyHostKey(entries, host, port, key.type, key.blob));
          expect(knownKeyTypes(relevant, host, port)).toEqual(knownKeyTypes(entries, host, port));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseKnownHosts', () => {
  realIt(`reports bad lines with their numbers and keeps the good ones${suffix}`, () => {
    const { ed25519 } = keys;
    const text = [
      line('good', ed25519),
      'onlyhost',
      '@bogus host ssh-ed25519 AAAA',
      '|1|notbase64!|x ssh-ed25519 ' + ed25519.base64,
      'host ssh-ed25519 !!!notbase64',
      'host ssh-rsa ' + ed25519.base64,
    ].join('\n');
    const { entries, errors } = parseKnownHosts(text);
    expect(entries.map((e) => e.line)).toEqual([1]);
    expect(errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'missing-fields'],
      [3, 'bad-marker'],
      [4, 'bad-hash'],
      [5, 'bad-key'],
      [6, 'bad-key'],
    ]);
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const parsed = parseKnownHosts(text);
        expect(Array.isArray(parsed.entries) && Array.isArray(parsed.errors)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('verifyHostKey', () => {
  const file = (): string =>
    [
      line('known', keys.ed25519),
      line('[known]:2222', keys.ecdsa),
      line('*.ca', keys.ecdsa, '@cert-authority'),
      line('*', keys.rsa, '@revoked'),
    ].join('\n');

  realIt.each([
    ['same key', 'known', 22, 'ed25519', 'ok'],
    ['changed key', 'known', 22, 'other', 'host-key-mismatch'],
    ['other port known with another type', 'known', 2222, 'ed25519', 'host-key-unknown'],
    ['port entry', 'known', 2222, 'ecdsa', 'ok'],
    ['no entry', 'stranger', 22, 'ed25519', 'host-key-unknown'],
    ['only a CA line matches', 'x.ca', 22, 'ecdsa', 'host-key-unknown'],
    ['revoked key', 'known', 22, 'rsa', 'host-key-revoked'],
  ] as const)(`%s${suffix}`, (_label, host, port, keyName, expected) => {
    const key = keys[keyName];
    const verdict = verifyHostKey(parseKnownHosts(file()).entries, host, port, key.type, key.blob);
    expect(verdict.ok ? 'ok' : verdict.code).toBe(expected);
    if (!verdict.ok) expect(verdict.message).toContain(fingerprintSha256(key.blob));
  });
});
