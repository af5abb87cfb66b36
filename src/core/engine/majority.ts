/**
 * Who is the odd one out. Values are compared after normalisation; `null` means the item
 * is absent on that node and takes part in the vote like any other value.
 *
 * - With a baseline node among the voters, the baseline is right by definition.
 * - Otherwise, with three or more voters, a value held by a strict majority wins.
 * - Two voters, or a tie: nobody can be called right, so every voter is an outlier.
 */
export interface Vote {
  node: string;
  /** Normalised value, the one compared. */
  value: string | null;
}

export interface Verdict {
  /** A baseline or a strict majority decided; false for ties and two-node clusters. */
  decided: boolean;
  /** The winning (normalised) value when decided; null also when the winner is "absent". */
  reference: string | null;
  /** A node that holds the reference value, for diffs against it. */
  referenceNode?: string;
  outliers: string[];
}

/** Linear in the number of votes. */
export function judge(votes: readonly Vote[], baseline?: string): Verdict {
  const base = baseline === undefined ? undefined : votes.find((v) => v.node === baseline);
  if (base) {
    return {
      decided: true,
      reference: base.value,
      referenceNode: base.node,
      outliers: votes.filter((v) => v.value !== base.value).map((v) => v.node),
    };
  }
  const counts = new Map<string | null, { count: number; first: string }>();
  for (const vote of votes) {
    const entry = counts.get(vote.value);
    if (entry) entry.count++;
    else counts.set(vote.value, { count: 1, first: vote.node });
  }
  if (votes.length >= 3) {
    for (const [value, entry] of counts) {
      if (entry.count * 2 > votes.length) {
        return {
          decided: true,
          reference: value,
          referenceNode: entry.first,
          outliers: votes.filter((v) => v.value !== value).map((v) => v.node),
        };
      }
    }
  }
  const first = votes[0];
  const verdict: Verdict = { decided: false, reference: null, outliers: votes.map((v) => v.node) };
  if (first) verdict.referenceNode = first.node;
  return verdict;
}
