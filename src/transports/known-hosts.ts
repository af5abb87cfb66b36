/**
 * OpenSSH known_hosts, parsed and matched the way `ssh` and `ssh-keygen -F` do (see
 * sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Pure: the caller reads the file.
 *
 * - Host field: comma list of patterns (`*`, `?`, `!negation`), case-insensitive; a
 *   non-22 port is looked up as `[host]:port`; or one hashed `|1|salt|hmac` entry
 *   (HMAC-SHA1 keyed by the salt over that same lookup name).
 * - `@cert-authority` lines hold a CA key that signs host certificates. driftd checks
 *   plain host keys only, so such a line never vouches for an offered key: a host known
 *   only through a CA is reported unknown, with that reason.
 * - `@revoked` keys are refused for every host, not only the line's hosts: a revoked
 *   key is compromised wherever it shows up (stricter than OpenSSH on purpose).
 * - A malformed line is reported with its number and skipped, like ssh does.
 */
import { createHash, createHmac } from 'node:crypto';

export type HostPatterns = { kind: 'hashed'; salt: Buffer; hash: Buffer } | { kind: 'list'; patterns: string[] };

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker: KnownHostMarker | null;
  hosts: HostPatterns;
  keyType: string;
  keyBlob: Buffer;
}

export type KnownHostsErrorCode = 'missing-fields' | 'bad-marker' | 'bad-hash' | 'bad-key';

export interface KnownHostsLineError {
  line: number;
  code: KnownHostsErrorCode;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  errors: KnownHostsLineError[];
}

export type HostKeyVerdict =
  { ok: true; entry: KnownHostEntry } | { ok: false; code: 'host-key-unknown' | 'host-key-mismatch' | 'host-key-revoked'; message: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HASH_MAGIC = '|1|';

export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const errors: KnownHostsLineError[] = [];
  text.split('\n').forEach((raw, index) => {
    const parsed = parseLine(raw.replace(/\r$/, ''), index + 1);
    if (parsed === null) return;
    if ('code' in parsed) errors.push(parsed);
    else entries.push(parsed);
  });
  return { entries, errors };
}

function parseLine(raw: string, line: number): KnownHostEntry | KnownHostsLineError | null {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const fields = trimmed.split(/[ \t]+/);
  let marker: KnownHostMarker | null = null;
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return { line, code: 'bad-marker', message: `line ${line}: unknown marker "${name}" (expected @revoked or @cert-authority)` };
  }
  const [hostField, keyType, keyBase64] = fields;
  if (hostField === undefined || keyType === undefined || keyBase64 === undefined) {
    return { line, code: 'missing-fields', message: `line ${line}: expected "hosts keytype base64-key [comment]"` };
  }
  const hosts = parseHosts(hostField);
  if (hosts === null) {
    return { line, code: 'bad-hash', message: `line ${line}: malformed hashed host "${hostField}" (expected |1|salt|hmac)` };
  }
  if (!BASE64.test(keyBase64)) {
    return { line, code: 'bad-key', message: `line ${line}: the key is not base64` };
  }
  const keyBlob = Buffer.from(keyBase64, 'base64');
  const embedded = keyTypeOfBlob(keyBlob);
  if (embedded !== keyType) {
    return {
      line,
      code: 'bad-key',
      message: `line ${line}: key type "${keyType}" does not match the key itself (${embedded ?? 'unreadable'})`,
    };
  }
  return { line, marker, hosts, keyType, keyBlob };
}

function parseHosts(field: string): HostPatterns | null {
  if (!field.startsWith(HASH_MAGIC)) return { kind: 'list', patterns: field.split(',').filter((p) => p !== '') };
  const parts = field.slice(HASH_MAGIC.length).split('|');
  if (parts.length !== 2) return null;
  const [salt64, hash64] = parts as [string, string];
  if (!BASE64.test(salt64) || !BASE64.test(hash64)) return null;
  const salt = Buffer.from(salt64, 'base64');
  const hash = Buffer.from(hash64, 'base64');
  // SHA1 HMAC: 20-byte digest, and OpenSSH salts are digest-sized too.
  if (salt.length !== 20 || hash.length !== 20) return null;
  return { kind: 'hashed', salt, hash };
}

/** The SSH wire key blob starts with its type as an SSH string (uint32 length + bytes). */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  const type = blob.subarray(4, 4 + length).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower case. */
export function hostLookupName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** OpenSSH match_pattern: `*` any run, `?` any one character, everything else literal. */
export function matchPattern(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** OpenSSH match_hostname over a comma list: any negated match vetoes the line. */
function matchPatternList(name: string, patterns: readonly string[]): boolean {
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (matchPattern(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

export function hashHostName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = hostLookupName(host, port);
  if (entry.hosts.kind === 'hashed') return hashHostName(name, entry.hosts.salt).equals(entry.hosts.hash);
  return matchPatternList(name, entry.hosts.patterns);
}

/** Every entry (any marker) whose host field matches, in file order: what `ssh-keygen -F` lists. */
export function findHostEntries(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((entry) => entryMatchesHost(entry, host, port));
}

/**
 * The entries that can concern a host, found without scanning a fleet-sized file for
 * every connection: lines whose patterns are plain names (no `*`, `?` or `!`) are looked
 * up by name; hashed lines, wildcard or negated lists are tried one by one; @revoked lines
 * concern every host. `relevantEntries` returns them in file order, and
 * verifyHostKey/knownKeyTypes give the same answer on them as on the whole file.
 */
export interface KnownHostsIndex {
  byName: Map<string, KnownHostEntry[]>;
  others: KnownHostEntry[];
  revoked: KnownHostEntry[];
}

export function indexKnownHosts(entries: readonly KnownHostEntry[]): KnownHostsIndex {
  const index: KnownHostsIndex = { byName: new Map(), others: [], revoked: [] };
  for (const entry of entries) {
    if (entry.marker === 'revoked') index.revoked.push(entry);
    const hosts = entry.hosts;
    if (hosts.kind === 'list' && hosts.patterns.every((p) => !/[*?!]/.test(p))) {
      for (const name of new Set(hosts.patterns.map((p) => p.toLowerCase()))) {
        const list = index.byName.get(name);
        if (list) list.push(entry);
        else index.byName.set(name, [entry]);
      }
    } else {
      index.others.push(entry);
    }
  }
  return index;
}

export function relevantEntries(index: KnownHostsIndex, host: string, port: number): KnownHostEntry[] {
  const found = new Set<KnownHostEntry>([
    ...index.revoked,
    ...(index.byName.get(hostLookupName(host, port)) ?? []),
    ...index.others.filter((entry) => entryMatchesHost(entry, host, port)),
  ]);
  return [...found].sort((a, b) => a.line - b.line);
}

/** Key types with a plain entry for this host: offer these first so the server picks a known one. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = findHostEntries(entries, host, port)
    .filter((entry) => entry.marker === null)
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** `SHA256:` + unpadded base64 of the blob's SHA-256, exactly as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function verifyHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyVerdict {
  const name = hostLookupName(host, port);
  const offered = `${keyType} key ${fingerprintSha256(keyBlob)}`;
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.keyBlob.equals(keyBlob));
  if (revoked) {
    return {
      ok: false,
      code: 'host-key-revoked',
      message: `${name} offered ${offered}, which is marked @revoked (line ${revoked.line})`,
    };
  }
  const matching = findHostEntries(entries, host, port);
  const plain = matching.filter((entry) => entry.marker === null);
  const accepted = plain.find((entry) => entry.keyType === keyType && entry.keyBlob.equals(keyBlob));
  if (accepted) return { ok: true, entry: accepted };
  const sameType = plain.filter((entry) => entry.keyType === keyType);
  if (sameType.length > 0) {
    const lines = sameType.map((entry) => entry.line).join(', ');
    return {
      ok: false,
      code: 'host-key-mismatch',
      message: `${name} offered ${offered}, but a different ${keyType} key is recorded for it (line ${lines}): the host key changed`,
    };
  }
  if (plain.length > 0) {
    const types = [...new Set(plain.map((entry) => entry.keyType))].join(', ');
    return {
      ok: false,
      code: 'host-key-unknown',
      message: `${name} offered ${offered}, but only ${types} keys are recorded for it`,
    };
  }
  if (matching.length > 0) {
    return {
      ok: false,
      code: 'host-key-unknown',
      message: `${name} offered ${offered}; only @cert-authority lines match it, and driftd verifies plain host keys only`,
    };
  }
  return { ok: false, code: 'host-key-unknown', message: `${name} offered ${offered}, and it has no entry` };
}
