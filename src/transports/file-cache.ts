/**
 * Files that every connection of a run reads, parsed once per content instead of once per
 * node: known_hosts (a fleet's file has a line per node, so parsing it per connection
 * grew with the square of the fleet) and the identity file (ssh2 re-parses a key it is
 * given as bytes). Each read stats the file and re-reads it when its identity, size or
 * times changed, so an edited known_hosts or a rotated key takes effect at the next
 * connection, as with OpenSSH.
 */
import { readFileSync, statSync } from 'node:fs';

/** Distinct files kept; a daemon reads one or two per SSH settings block. */
const MAX_FILES = 32;

export class ParsedFileCache<T> {
  private readonly entries = new Map<string, { stamp: string; value: T }>();

  constructor(private readonly parse: (data: Buffer) => T) {}

  /** The parsed content of `file`; throws what statSync/readFileSync throw. */
  read(file: string): T {
    const st = statSync(file, { bigint: true });
    const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.entries.get(file);
    if (hit?.stamp === stamp) return hit.value;
    const value = this.parse(readFileSync(file));
    this.entries.delete(file);
    if (this.entries.size >= MAX_FILES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(file, { stamp, value });
    return value;
  }
}
