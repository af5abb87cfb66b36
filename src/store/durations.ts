/**
 * A snapshot's facet durations, packed into one small blob per node per run (they
 * change every run, so they cannot be shared like facet content). One unsigned LEB128
 * varint per facet of the snapshot's manifest, in facet-name order: 0 when the facet
 * has no duration, otherwise zigzag(ms) + 1. Ten facets of up to 127 ms take ten bytes;
 * NULL when no facet has a duration.
 */

export function packDurations(values: readonly (number | null)[]): Buffer | null {
  if (values.every((v) => v === null)) return null;
  const bytes: number[] = [];
  for (const value of values) {
    // Arithmetic, not bit operators: durations are integers but may exceed 2^31.
    let n = value === null ? 0 : (value >= 0 ? value * 2 : -value * 2 - 1) + 1;
    while (n >= 128) {
      bytes.push((n % 128) + 128);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
  }
  return Buffer.from(bytes);
}

/** `count` durations (null where absent); a short or missing blob reads as nulls. */
export function unpackDurations(data: Buffer | null, count: number): (number | null)[] {
  const out: (number | null)[] = [];
  let offset = 0;
  for (let i = 0; i < count; i += 1) {
    if (data === null || offset >= data.length) {
      out.push(null);
      continue;
    }
    let n = 0;
    let scale = 1;
    for (;;) {
      const byte = data[offset] ?? 0;
      offset += 1;
      n += (byte % 128) * scale;
      scale *= 128;
      if (byte < 128 || offset >= data.length) break;
    }
    if (n === 0) out.push(null);
    else {
      const z = n - 1;
      out.push(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    }
  }
  return out;
}
