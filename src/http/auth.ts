/** Bearer-token check. Both sides are hashed first so the comparison is constant-time whatever the lengths. */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const presented = match?.[1] ?? '';
  // Compare even when the header is missing, so the timing says nothing about which check failed.
  const equal = timingSafeEqual(digest(presented), digest(token));
  return match !== null && equal;
}
