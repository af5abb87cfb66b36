/**
 * Reading files named by the operator (config, rule packs, token file, keys) safely: a
 * FIFO, a device (/dev/zero), a socket or a directory is refused before anything is read
 * (a FIFO is opened non-blocking, so opening it cannot hang), and a file over its size
 * cap is refused instead of being read without limit.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export class UnsafeFileError extends Error {
  override readonly name = 'UnsafeFileError';
}

/** Caps, documented in README "Transports and security". */
export const CONFIG_FILE_MAX_BYTES = 4 * 1024 * 1024;
export const RULE_PACK_MAX_BYTES = 4 * 1024 * 1024;
export const TOKEN_FILE_MAX_BYTES = 64 * 1024;
export const KEY_FILE_MAX_BYTES = 1024 * 1024;

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file of at most `maxBytes`. Throws UnsafeFileError (special
 * file, too big) or the fs error (ENOENT, EACCES) with its code, for the caller to word.
 */
export function readRegularFile(file: string, maxBytes: number, what: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UnsafeFileError(`${what} ${file} is ${kindOf(stat)}; it must be a regular file`);
    if (stat.size > maxBytes) {
      throw new UnsafeFileError(`${what} ${file} is ${stat.size} bytes, over the ${maxBytes}-byte cap for ${what}s`);
    }
    // Read at most cap+1 bytes: a file that grows while read is still bounded.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stat.size, 0) + 1));
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new UnsafeFileError(`${what} ${file} grew over the ${maxBytes}-byte cap while it was read`);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

export function readRegularTextFile(file: string, maxBytes: number, what: string): string {
  return readRegularFile(file, maxBytes, what).toString('utf8');
}

/** A short reason for a failed read: the errno code, or the UnsafeFileError's own words. */
export function readFailure(error: unknown): string {
  if (error instanceof UnsafeFileError) return error.message;
  if (error && typeof error === 'object' && 'code' in error) return String((error as NodeJS.ErrnoException).code);
  return error instanceof Error ? error.message : String(error);
}
