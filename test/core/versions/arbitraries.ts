/**
 * fast-check generators for version strings. The alphabets are small on purpose, so
 * that generated pairs often share prefixes and hit the interesting comparisons.
 */
import fc from 'fast-check';

const upstreamToken = fc.constantFrom(
  '0',
  '1',
  '2',
  '9',
  '10',
  '01',
  '00',
  '123',
  'a',
  'b',
  'z',
  'A',
  'Z',
  'rc',
  '.',
  '+',
  '~',
  '~~',
  ':',
  '-',
);
const revisionToken = fc.constantFrom('0', '1', '2', '10', '01', 'a', 'b', 'Z', 'ubuntu', '.', '+', '~');

interface DebParts {
  epoch: string | null;
  upstreamHead: string;
  upstreamTail: string;
  revision: string | null;
}

const debParts: fc.Arbitrary<DebParts> = fc.record({
  epoch: fc.option(fc.constantFrom('0', '1', '2', '10', '00', '01'), { nil: null }),
  upstreamHead: fc.constantFrom('0', '1', '2', '9', '10', '01', '1.0', '2.36'),
  upstreamTail: fc.array(upstreamToken, { maxLength: 6 }).map((tokens) => tokens.join('')),
  revision: fc.option(
    fc
      .tuple(fc.constantFrom('0', '1', '2', 'a', '~', '+', '0ubuntu'), fc.array(revisionToken, { maxLength: 3 }))
      .map(([head, tail]) => head + tail.join('')),
    { nil: null },
  ),
});

/** deb-version(7): ':' in upstream needs an epoch, '-' in upstream needs a revision. */
function renderDeb(parts: DebParts): string {
  let tail = parts.upstreamTail;
  if (parts.epoch === null) tail = tail.replaceAll(':', '');
  if (parts.revision === null) tail = tail.replaceAll('-', '');
  const epoch = parts.epoch === null ? '' : `${parts.epoch}:`;
  const revision = parts.revision === null ? '' : `-${parts.revision}`;
  return `${epoch}${parts.upstreamHead}${tail}${revision}`;
}

export const validDebVersion: fc.Arbitrary<string> = debParts.map(renderDeb);

/** Pairs that often agree on some parts (epoch, upstream head or tail, revision). */
export const debVersionPair: fc.Arbitrary<[string, string]> = fc
  .tuple(debParts, debParts, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
  .map(([a, b, takeFromA]) => {
    const mixed: DebParts = {
      epoch: takeFromA[0] ? a.epoch : b.epoch,
      upstreamHead: takeFromA[1] ? a.upstreamHead : b.upstreamHead,
      upstreamTail: takeFromA[2] ? a.upstreamTail : b.upstreamTail,
      revision: takeFromA[3] ? a.revision : b.revision,
    };
    return [renderDeb(a), renderDeb(mixed)];
  });

/** Version-shaped junk: the characters dpkg's parser treats specially, plus some it rejects. */
export const versionishString: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('0', '1', '9', '00', 'a', 'Z', ':', '-', '.', '+', '~', '_', ' ', '\t', 'é', '^', '+1', '-1'), { maxLength: 8 })
  .map((parts) => parts.join(''));

const rpmToken = fc.constantFrom('0', '1', '2', '9', '10', '01', '007', 'a', 'b', 'Z', 'rc', 'fc17', '.', '_', '+', '~', '^', '-', 'é', '');

export const rpmVersionString: fc.Arbitrary<string> = fc.array(rpmToken, { maxLength: 7 }).map((tokens) => tokens.join(''));

export const rpmVersionPair: fc.Arbitrary<[string, string]> = fc
  .tuple(rpmVersionString, rpmVersionString, rpmVersionString, rpmVersionString)
  .map(([prefix, a, b, suffix]) => [prefix + a + suffix, prefix + b + suffix]);

const rpmEpoch = fc.constantFrom('', '0:', '1:', '01:', '2:', ':', '10:');
const rpmRelease = fc.constantFrom('', '-', '-0', '-1', '-1.fc38', '-2.el9_3', '-1~rc1', '-01');

/** `[E:]V[-R]` labels that often share parts, including odd ones (":1", "1-"). */
export const rpmLabelPair: fc.Arbitrary<[string, string]> = fc
  .tuple(rpmEpoch, rpmEpoch, rpmVersionPair, rpmRelease, rpmRelease, fc.boolean(), fc.boolean(), fc.boolean())
  .map(([epochA, epochB, [versionA, versionB], releaseA, releaseB, sameEpoch, sameVersion, sameRelease]) => [
    epochA + versionA + releaseA,
    (sameEpoch ? epochA : epochB) + (sameVersion ? versionA : versionB) + (sameRelease ? releaseA : releaseB),
  ]);
