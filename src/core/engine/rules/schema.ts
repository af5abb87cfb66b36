/**
 * The rule-pack contract (`rules/*.yaml` and the user's packs). Unknown keys are errors so
 * a misspelt `severty:` cannot silently do nothing.
 */
import { z } from 'zod';
import { FACET_NAMES } from '../../snapshot.js';
import { SKEW_TOLERANCES } from '../../versions/index.js';
import { regexHazard } from './safe-regex.js';

export const RULE_SEVERITIES = ['critical', 'warning', 'info', 'ignore'] as const;

/** `/.../` (optionally followed by `i`) is a regular expression; anything else is a glob. */
const REGEX_LITERAL = /^\/(.*)\/(i?)$/s;

export function parseRegexLiteral(pattern: string): { source: string; flags: string } | undefined {
  const m = REGEX_LITERAL.exec(pattern);
  if (!m || m[1] === undefined || m[1] === '') return undefined;
  return { source: m[1], flags: m[2] ?? '' };
}

function regexError(source: string, flags: string): string | undefined {
  try {
    new RegExp(source, flags);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  // Rule regexes run on node-supplied keys and values: refuse what could take
  // exponential time (see safe-regex.ts).
  return regexHazard(source);
}

const KeyPattern = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const literal = parseRegexLiteral(value);
    if (!literal) return;
    const problem = regexError(literal.source, literal.flags);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid regular expression ${value}: ${problem}` });
  });

const Facet = z.enum(FACET_NAMES);

export const RuleMatch = z.strictObject({
  facet: z.union([Facet, z.array(Facet).min(1)], {
    error: `facet is one of ${FACET_NAMES.join(', ')}, or a list of them`,
  }),
  key: KeyPattern,
});

export const NormalizeStep = z
  .strictObject({
    /** A regular expression (without slashes), applied globally to the value. */
    pattern: z.string().min(1),
    /** Replacement text; `$1` refers to a capture group. */
    replace: z.string(),
  })
  .superRefine((step, ctx) => {
    const problem = regexError(step.pattern, 'g');
    if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `invalid regular expression: ${problem}` });
  });
export type NormalizeStep = z.infer<typeof NormalizeStep>;

const Scalar = z.union([z.string(), z.number()]).transform(String);

export const Expectation = z
  .strictObject({
    equals: Scalar.optional(),
    oneOf: z.array(Scalar).min(1).optional(),
    /** Numeric, or version-ordered on the packages and kernel facets. */
    min: Scalar.optional(),
    max: Scalar.optional(),
    present: z.literal(true).optional(),
    absent: z.literal(true).optional(),
    /**
     * Severity of the expectation finding alone, when it should differ from the rule's
     * (or an earlier rule's) severity for peer drift of the same key.
     */
    severity: z.enum(['critical', 'warning', 'info']).optional(),
  })
  .superRefine((expect, ctx) => {
    const { severity: _severity, ...checks } = expect;
    if (Object.values(checks).every((v) => v === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expect needs one of equals, oneOf, min, max, present, absent' });
    }
    if (expect.present && expect.absent) {
      ctx.addIssue({ code: 'custom', path: ['absent'], message: 'expect cannot be both present and absent' });
    }
  });
export type Expectation = z.infer<typeof Expectation>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export const RuleWaiver = z.strictObject({
  justification: z.string().min(1),
  author: z.string().min(1),
  /** ISO date (valid through that whole day, UTC) or ISO date-time. */
  expires: z
    .union([z.string(), z.date()])
    .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
    .refine((v) => ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)), {
      message: 'expires is an ISO date such as 2026-12-31 or a date-time such as 2026-12-31T18:00:00Z',
    }),
  /** Narrows the waiver to some of the rule's keys (glob or /regex/). */
  key: KeyPattern.optional(),
});
export type RuleWaiver = z.infer<typeof RuleWaiver>;

export const Rule = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  match: RuleMatch,
  severity: z.enum(RULE_SEVERITIES).optional(),
  normalize: z.array(NormalizeStep).optional(),
  nodeSpecific: z.literal(true).optional(),
  /**
   * The matched keys are identities that must differ between owners (see
   * src/core/engine/identities.ts); `false` turns off an earlier rule's or the
   * collector's mark.
   */
  unique: z.boolean().optional(),
  allowSkew: z.enum(SKEW_TOLERANCES).optional(),
  expect: Expectation.optional(),
  waivers: z.array(RuleWaiver).optional(),
  /** Where the rule comes from: a guide, a man page, a check id. Carried on its findings. */
  source: z.string().min(1).optional(),
  /** What an operator does about a finding of this rule. Carried on its findings. */
  remediation: z.string().min(1).optional(),
});
export type Rule = z.infer<typeof Rule>;

export const RulePackSchema = z.strictObject({
  pack: z.string().min(1),
  description: z.string().optional(),
  rules: z.array(Rule).default([]),
});

export type RulePack = z.infer<typeof RulePackSchema> & {
  /** Where the pack was read from, for `rules explain` and error messages. */
  file?: string;
};
